"""Publish: copy one run's results into a new immutable DuckDB file and switch readers to it.

Readers (dashboard, exports) open the published file read-only, so they are never blocked by the
worker holding the warehouse, and they see the previous run or this one, never a mix (SPEC §12).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb

from jobs.lineage import LOOKUPS, keys_sql, lookup_sql, record_sql
from jobs.matching.lifecycle import EXCEPTION_ROWS, GROUP_ROWS, MEMBER_ROWS
from jobs.normalised import refresh
from jobs.published import (
    AGE_BUCKETS,
    CUTOFF_MATCHES,
    CUTOFF_TABLE,
    FEED_HISTOGRAM,
    HISTOGRAM_TABLES,
    MATCH_HISTOGRAM,
    point_current,
    published_dir,
)
from jobs.settings import Settings
from jobs.validation_checks import ensure_tables

AGE_BUCKET_SQL = """CASE WHEN age_days <= 2 THEN '0-2' WHEN age_days <= 7 THEN '3-7'
    WHEN age_days <= 30 THEN '8-30' WHEN age_days <= 60 THEN '31-60'
    WHEN age_days <= 90 THEN '61-90' ELSE '>90' END"""
assert AGE_BUCKETS[-1] in AGE_BUCKET_SQL

COPIES = {
    "match_group": "SELECT * FROM match_group",
    "match_member": "SELECT * FROM match_member",
    "exception": f"""SELECT e.*, coalesce(q.queue, 'unassigned') AS queue,
                            date_diff('day', e.first_seen, $as_of) AS age_days,
                            {AGE_BUCKET_SQL.replace('age_days', "date_diff('day', e.first_seen, $as_of)")}
                              AS age_bucket,
                            date_diff('day', e.first_seen, $as_of) > coalesce(q.sla_days, 1e9)
                              AS sla_breach
                     FROM exception e LEFT JOIN _queues q ON q.cause = e.cause""",
    "snapshot": "SELECT * FROM snapshot",
    "validation_result": "SELECT * FROM validation_result",
    "job_run": "SELECT * FROM job_run ORDER BY started_at DESC LIMIT 5000",
    "quarantine": "SELECT * FROM quarantine",
    "data_quality_alert": "SELECT * FROM data_quality_alert ORDER BY created_at DESC LIMIT 5000",
    "record_failure": "SELECT * FROM record_failure WHERE run_id IN (SELECT run_id FROM job_run "
                      "ORDER BY started_at DESC LIMIT 20)",
    "entity": "SELECT * FROM entity",
}

# Copies written in the order of the column Lineage looks them up by, so a lookup reads only the
# row groups whose min/max hold the values, not every match of the run.
SORTED = {"match_group": "match_id", "match_member": "match_id"}


def _copies(live: bool) -> dict[str, str]:
    """What each published table is made of; ``live`` takes this run's results directly."""
    if not live:
        return COPIES
    exceptions = COPIES["exception"].replace("FROM exception e", f"FROM ({EXCEPTION_ROWS}) e")
    return {**COPIES, "match_group": GROUP_ROWS, "match_member": MEMBER_ROWS,
            "exception": exceptions}


SCOPE = """
    SELECT s.record_id, s.workflow, s.source_system, s.source_ref, s.entity, s.currency, s.amount,
           s.event_date, strftime(s.event_date, '%Y-%m') AS period,
           CASE WHEN s.match_id IS NOT NULL THEN 'matched' ELSE 'exception' END AS status,
           s.match_id, s.rule, x.cause, s.correlation_id
    FROM recon__scope s
    LEFT JOIN recon__exc_now x USING (record_id)"""

KPI_MATCH_RATE = """
    SELECT workflow, entity, period, currency, count(*) AS records,
           count(*) FILTER (WHERE status = 'matched') AS matched,
           sum(abs(amount)) AS amount_abs,
           coalesce(sum(abs(amount)) FILTER (WHERE status = 'matched'), 0) AS matched_amount_abs
    FROM pub.scope GROUP BY ALL"""

KPI_AGING = """
    SELECT workflow, entity, cause, queue, currency, age_bucket, count(*) AS exceptions,
           sum(abs(amount)) AS amount_abs, count(*) FILTER (WHERE sla_breach) AS sla_breaches
    FROM pub.exception WHERE status = 'open' GROUP BY ALL"""


def publish(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str, as_of: dt.date,
            info: dict, make_current: bool = True, until: dt.datetime | None = None,
            live: bool = False) -> Path:
    """Write ``<home>/published/<run_id>.duckdb`` and, normally, make it current.

    A replay publishes beside the current run (``make_current=False``) for comparison, from
    this matching's own results (``live``) rather than the warehouse's persisted state.
    """
    target_dir = published_dir(settings.home)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{run_id}.duckdb"
    tmp = target.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    ensure_tables(con)
    # A run reads the current records through the normalised tables (up to date after DuckDB
    # matching, kept up here when another engine matched); a replay (``until``) the versions
    # it saw.
    maintained = until is None
    if maintained:
        refresh(con)
    for stale in target_dir.glob("*.partial"):  # left by a run that was killed while publishing
        stale.unlink(missing_ok=True)
    con.execute("CREATE OR REPLACE TEMP TABLE _queues (cause VARCHAR, queue VARCHAR, sla_days INT)")
    con.executemany("INSERT INTO _queues VALUES (?, ?, ?)",
                    [[c, settings.queues.get(c), settings.sla_days.get(c)] for c in settings.queues])
    # ATTACH takes no bound parameters: the path is our own, quoted as a SQL literal.
    con.execute("ATTACH '" + str(tmp).replace("'", "''") + "' AS pub")
    try:
        for name, select in _copies(live).items():
            if name in SORTED:
                select = f"{select} ORDER BY {SORTED[name]}"
            params = {k: v for k, v in {"as_of": as_of, "run_id": run_id,
                                         "now": dt.datetime.now(dt.UTC)}.items()
                      if f"${k}" in select}
            con.execute(f"CREATE TABLE pub.{name} AS {select}", params)
        con.execute(f"CREATE TABLE pub.scope AS {SCOPE}")
        con.execute(f"CREATE TABLE pub.record AS {record_sql(maintained)}",
                    {} if maintained else {"until": until})
        con.execute(f"CREATE TABLE pub.lineage_key AS {keys_sql('pub.record')}")
        con.execute(f"CREATE TABLE pub.kpi_match_rate AS {KPI_MATCH_RATE}")
        con.execute(f"CREATE TABLE pub.kpi_exception_aging AS {KPI_AGING}")
        con.execute("""CREATE TABLE pub.run_info AS SELECT ?::VARCHAR AS run_id, ?::DATE AS as_of,
                       ?::TIMESTAMPTZ AS published_at, ?::VARCHAR AS sources,
                       ?::BIGINT AS records_in, ?::BIGINT AS matched_records,
                       ?::BIGINT AS open_exceptions, ?::JSON AS stages""",
                    [run_id, as_of, dt.datetime.now(dt.UTC), info.get("sources"),
                     info.get("records_in"), info.get("matched_records"),
                     info.get("open_exceptions"), json.dumps(info.get("stages", {}))])
        # Tables derived from the published ones read them by their plain names.
        home_db = con.execute("SELECT current_database()").fetchone()[0]
        con.execute("USE pub")
        try:
            for kind, select in (("match", MATCH_HISTOGRAM), ("feed", FEED_HISTOGRAM)):
                con.execute(f"CREATE TABLE {HISTOGRAM_TABLES[kind]} AS {select}")
            con.execute(f"CREATE TABLE {CUTOFF_TABLE} AS {CUTOFF_MATCHES}")
            for name in LOOKUPS:
                con.execute(f"CREATE TABLE {name} AS {lookup_sql(name)}")
        finally:
            con.execute(f'USE "{home_db}"')
    finally:
        con.execute("DETACH pub")
    tmp.rename(target)
    if make_current:
        point_current(settings.home, target)
        _prune(target_dir, keep=settings.retention.published_runs, current=target)
    return target


def _prune(folder: Path, keep: int, current: Path) -> None:
    """Delete published runs beyond the newest ``keep`` (open readers keep their file handle)."""
    runs = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        if old != current:
            old.unlink(missing_ok=True)
