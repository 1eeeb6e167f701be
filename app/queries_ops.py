"""Data quality and job health (SPEC §7, §9): expectation results, quarantine, alerts, job runs
and feed freshness, read from the published run. No Streamlit here.

Tables a colleague adds later (``data_quality_alert``, ``record_failure``) are read only if the
published run has them; an older run simply has none.
"""

from __future__ import annotations

import duckdb
import pandas as pd

OPTIONAL_TABLES = ("data_quality_alert", "record_failure")
RUN_LIMIT = 500


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True if the published run has table ``name`` (runs published before it was added don't)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [name]).fetchone()[0])


# --- data quality ---------------------------------------------------------------------------

def pass_rate_by_source(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Expectations passed ÷ evaluated per source system, over every validated snapshot.

    Columns: ``source_system, snapshots, evaluated, passed, pass_rate, critical_failed``.
    """
    return con.execute("""
        SELECT s.source_system, count(DISTINCT v.snapshot_id) AS snapshots,
               count(*) AS evaluated, count(*) FILTER (WHERE v.success) AS passed,
               count(*) FILTER (WHERE v.success) / count(*) AS pass_rate,
               count(*) FILTER (WHERE NOT v.success AND v.severity = 'critical')
                 AS critical_failed
        FROM validation_result v JOIN snapshot s USING (snapshot_id)
        GROUP BY s.source_system ORDER BY s.source_system""").df()


def pass_rate_by_snapshot(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Pass rate per snapshot, in extraction order: the trend per source.

    Columns: ``snapshot_id, source_system, extracted_at, evaluated, passed, pass_rate,
    unexpected``.
    """
    return con.execute("""
        SELECT v.snapshot_id, s.source_system, s.extracted_at, count(*) AS evaluated,
               count(*) FILTER (WHERE v.success) AS passed,
               count(*) FILTER (WHERE v.success) / count(*) AS pass_rate,
               CAST(coalesce(sum(v.unexpected_count), 0) AS BIGINT) AS unexpected
        FROM validation_result v JOIN snapshot s USING (snapshot_id)
        GROUP BY ALL ORDER BY s.extracted_at, s.source_system""").df()


def expectation_results(con: duckdb.DuckDBPyConnection, snapshot_id: str | None = None,
                        failed_only: bool = False, limit: int = 1000) -> pd.DataFrame:
    """Expectation results, failures first, newest snapshots first (bounded by ``limit``)."""
    clauses, params = [], []
    if snapshot_id:
        clauses.append("v.snapshot_id = ?")
        params.append(snapshot_id)
    if failed_only:
        clauses.append("NOT v.success")
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return con.execute(f"""
        SELECT s.source_system, v.snapshot_id, s.extracted_at, v.suite, v.expectation,
               v.severity, v.success, v.evaluated_count, v.unexpected_count,
               CAST(v.sample_ids AS VARCHAR) AS sample_ids
        FROM validation_result v JOIN snapshot s USING (snapshot_id){where}
        ORDER BY v.success, s.extracted_at DESC, v.suite, v.expectation
        LIMIT ?""", [*params, limit]).df()  # noqa: S608


def quarantined(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Files rejected at ingest with the reason, newest first."""
    return con.execute("""SELECT quarantined_at, source_system, source, reason, content_hash
                          FROM quarantine ORDER BY quarantined_at DESC""").df()


def alerts(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame | None:
    """Data-quality alerts (volume drops, late feeds, ...), or None if this run has none yet."""
    if not has_table(con, "data_quality_alert"):
        return None
    return con.execute("""SELECT created_at, severity, source_system, kind, message, run_id
                          FROM data_quality_alert ORDER BY created_at DESC LIMIT ?""",
                       [limit]).df()


def record_failures(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame | None:
    """Records that failed an expectation (whatever columns the run has), or None."""
    if not has_table(con, "record_failure"):
        return None
    return con.execute("SELECT * FROM record_failure LIMIT ?", [limit]).df()


# --- jobs -----------------------------------------------------------------------------------

# The run that made the published file was copied while still running (it publishes before it
# logs its end): it reads as ``published``, ending when it was published.
JOBS = """
    SELECT j.* REPLACE (
             CASE WHEN j.status = 'running' AND i.run_id IS NOT NULL THEN 'published'
                  ELSE j.status END AS status,
             coalesce(j.ended_at, i.published_at) AS ended_at)
    FROM job_run j LEFT JOIN run_info i USING (run_id)"""
DONE = ("success", "published")


def runs(con: duckdb.DuckDBPyConnection, limit: int = RUN_LIMIT) -> pd.DataFrame:
    """Job runs newest first with their duration in seconds; status, rows, error, traceback."""
    return con.execute(f"""
        SELECT run_id, job, trigger, started_at, ended_at, status,
               date_diff('millisecond', started_at, ended_at) / 1000.0 AS seconds,
               rows_in, rows_out, attempt, as_of, error, traceback, CAST(stages AS VARCHAR) AS stages
        FROM ({JOBS}) ORDER BY started_at DESC LIMIT ?""", [limit]).df()  # noqa: S608


def health(con: duckdb.DuckDBPyConnection) -> dict:
    """Job health (SPEC §7): runs, failures, retries, replays and the last success."""
    row = con.execute(f"""
        SELECT count(*), count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE attempt > 1),
               count(*) FILTER (WHERE job = 'replay'),
               count(*) FILTER (WHERE job = 'replay' AND status IN {DONE}),
               max(ended_at) FILTER (WHERE status IN {DONE})
        FROM ({JOBS})""").fetchone()  # noqa: S608
    runs_, failed, retries, replays, replays_ok, last_ok = row
    return {"runs": runs_, "failed": failed, "retries": retries, "replays": replays,
            "replay_success_rate": replays_ok / replays if replays else None,
            "last_success": last_ok}


def freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per source system: its last good snapshot, how many, and the last quarantined file.

    Columns: ``source_system, last_ok, snapshots, last_quarantined, records``.
    """
    return con.execute("""
        SELECT source_system,
               max(extracted_at) FILTER (WHERE status = 'ok') AS last_ok,
               count(*) FILTER (WHERE status = 'ok') AS snapshots,
               max(extracted_at) FILTER (WHERE status = 'quarantined') AS last_quarantined,
               CAST(coalesce(sum(record_count) FILTER (WHERE status = 'ok'), 0) AS BIGINT)
                 AS records
        FROM snapshot GROUP BY source_system ORDER BY source_system""").df()


def snapshot_ids(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[str]:
    """Snapshots newest first (for choosing one to inspect or replay)."""
    return [s for (s,) in con.execute("SELECT snapshot_id FROM snapshot WHERE status = 'ok' "
                                      "ORDER BY extracted_at DESC LIMIT ?", [limit]).fetchall()]
