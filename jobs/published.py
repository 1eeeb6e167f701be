"""The published artifact: what readers (dashboard, exports) see of one run (SPEC §2 step 5, §12).

Each run is published as its own immutable DuckDB file under ``<home>/published/``; the file name
of the current one is written atomically to ``<home>/published/CURRENT``. Readers open that file
read-only, so a running job never blocks them and they never see half a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from jobs.schema import create_table_sql

# Canonical tables copied as they are into every published run.
COPIED_TABLES = ("match_group", "match_member", "exception", "snapshot", "validation_result",
                 "job_run", "quarantine", "entity")
# Also published, created by jobs.validation_checks.ensure_tables: data_quality_alert,
# record_failure.

# Published exceptions carry what readers need beyond the canonical columns.
EXCEPTION_EXTRA = {"queue": "VARCHAR", "age_days": "BIGINT", "age_bucket": "VARCHAR",
                   "sla_breach": "BOOLEAN"}

AGE_BUCKETS = ("0-2", "3-7", "8-30", "31-60", "61-90", ">90")

EXTRA_DDL = {
    "run_info": """CREATE TABLE run_info (
        run_id VARCHAR PRIMARY KEY, as_of DATE NOT NULL, published_at TIMESTAMPTZ NOT NULL,
        sources VARCHAR, records_in BIGINT, matched_records BIGINT, open_exceptions BIGINT,
        stages JSON)""",
    # One row per in-scope record and workflow: the base of every match-rate figure.
    "scope": """CREATE TABLE scope (
        record_id VARCHAR NOT NULL, workflow VARCHAR NOT NULL, source_system VARCHAR NOT NULL,
        source_ref VARCHAR NOT NULL, entity VARCHAR, currency VARCHAR, amount DECIMAL(18,4),
        event_date DATE, period VARCHAR, status VARCHAR NOT NULL, match_id VARCHAR, rule VARCHAR,
        cause VARCHAR, correlation_id VARCHAR)""",
    # Every in-scope record with its origin and raw payload, for lineage (SPEC §8).
    "record": """CREATE TABLE record (
        record_id VARCHAR, source_system VARCHAR, source_ref VARCHAR, workflow VARCHAR,
        entity VARCHAR, currency VARCHAR, amount DECIMAL(18,4), event_date DATE,
        correlation_id VARCHAR, snapshot_id VARCHAR, source_file VARCHAR, source_position BIGINT,
        extracted_at TIMESTAMPTZ, raw VARCHAR, match_id VARCHAR, exception_id VARCHAR)""",
    # Normalised identifiers (upper case, letters and digits only) → record, for search.
    "lineage_key": "CREATE TABLE lineage_key (key VARCHAR, record_id VARCHAR)",
    "kpi_match_rate": """CREATE TABLE kpi_match_rate (
        workflow VARCHAR, entity VARCHAR, period VARCHAR, currency VARCHAR,
        records BIGINT, matched BIGINT, amount_abs DECIMAL(38,4), matched_amount_abs DECIMAL(38,4))""",
    "kpi_exception_aging": """CREATE TABLE kpi_exception_aging (
        workflow VARCHAR, entity VARCHAR, cause VARCHAR, queue VARCHAR, currency VARCHAR,
        age_bucket VARCHAR, exceptions BIGINT, amount_abs DECIMAL(38,4), sla_breaches BIGINT)""",
}


def published_dir(home: Path) -> Path:
    return home / "published"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every published table, empty, in the connection's default database."""
    for name in COPIED_TABLES:
        con.execute(create_table_sql(name, primary_key=False))
    for column, typ in EXCEPTION_EXTRA.items():
        con.execute(f'ALTER TABLE exception ADD COLUMN "{column}" {typ}')
    for ddl in EXTRA_DDL.values():
        con.execute(ddl)


def current_path(home: Path) -> Path | None:
    """The published DuckDB file readers should open, or None before the first publish."""
    pointer = published_dir(home) / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = published_dir(home) / name
    return path if path.exists() else None


def point_current(home: Path, path: Path) -> None:
    """Atomically make ``path`` the current published run (rename is atomic on POSIX)."""
    pointer = published_dir(home) / "CURRENT"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(path.name, encoding="utf-8")
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, pointer)


def open_current(home: Path) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to the current published run, or None if nothing is published."""
    path = current_path(home)
    if path is None:
        return None
    return duckdb.connect(str(path), read_only=True)


# Published pre-aggregates of the timeliness KPIs (SPEC §7), read by the dashboard's Overview.
# One row per workflow, currency, source pair and latency (days between the earliest and the
# latest member event, ``match_group.latency_days``) and cycle time (days from the earliest
# member event to matched, capped at the run's as-of date), with the number of matches.
MATCH_HISTOGRAM = """
    WITH m AS (SELECT match_id, min(source_system) FILTER (WHERE side = 'left') AS left_system,
                      min(source_system) FILTER (WHERE side = 'right') AS right_system,
                      min(event_date) AS first_date
               FROM match_member GROUP BY match_id)
    SELECT g.workflow, g.currency, m.left_system, m.right_system, g.latency_days,
           date_diff('day', m.first_date, least(CAST(g.matched_at AS DATE),
                                                (SELECT max(as_of) FROM run_info))) AS cycle_days,
           count(*) AS matches
    FROM match_group g JOIN m USING (match_id)
    GROUP BY ALL"""
# One row per source system, period, entity, workflow, currency, business date and snapshot
# time, with its feed latency in days and the number of records. Epoch arithmetic on purpose:
# an order of magnitude faster than calendar differences on time-zone-aware timestamps.
FEED_HISTOGRAM = """
    SELECT source_system, strftime(event_date, '%Y-%m') AS period, entity, workflow, currency,
           (epoch(extracted_at) - epoch(event_date)) / 86400.0 AS lag_days, records
    FROM (SELECT source_system, entity, workflow, currency, event_date, extracted_at,
                 count(*) AS records
          FROM record WHERE event_date IS NOT NULL AND extracted_at IS NOT NULL
          GROUP BY ALL)"""
HISTOGRAM_TABLES = {"match": "kpi_match_latency", "feed": "kpi_feed_latency"}

# Per period, the matches flagged as crossing the cut-off with a member dated in it (the Close
# review's figure): counted once at publish instead of joining every match member per view.
CUTOFF_TABLE = "kpi_cutoff_matches"
CUTOFF_MATCHES = """
    SELECT strftime(m.event_date, '%Y-%m') AS period, count(DISTINCT m.match_id) AS matches
    FROM match_member m JOIN match_group g USING (match_id)
    WHERE g.cutoff_flag
    GROUP BY ALL"""
