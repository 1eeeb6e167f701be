"""Timeliness KPIs (SPEC §7): synchronization latency per source pair, reconciliation cycle time
per workflow, and feed latency per source, as medians and 95th percentiles in days.

Read once per published run (cached by the caller) from ``match_group``/``match_member`` and
``record``. No Streamlit here.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from app.queries import Filters

MATCH_FILTERS = {"workflow": "g.workflow", "currency": "g.currency"}
RECORD_FILTERS = {"period": "strftime(event_date, '%Y-%m')", "entity": "entity",
                  "workflow": "workflow", "currency": "currency"}


def sync_latency(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Days between the two sides of each match (earliest to latest member event), per source
    pair. Columns: ``pair, matches, p50, p95``."""
    where, params = filters.where(MATCH_FILTERS)
    return con.execute(f"""
        WITH pairs AS (
            SELECT g.match_id, any_value(g.latency_days) AS days,
                   min(m.source_system) FILTER (WHERE m.side = 'left') AS left_system,
                   min(m.source_system) FILTER (WHERE m.side = 'right') AS right_system
            FROM match_group g JOIN match_member m USING (match_id){where}
            GROUP BY g.match_id)
        SELECT left_system || ' → ' || right_system AS pair, count(*) AS matches,
               quantile_cont(days, 0.5) AS p50, quantile_cont(days, 0.95) AS p95
        FROM pairs WHERE left_system IS NOT NULL AND right_system IS NOT NULL
        GROUP BY pair ORDER BY matches DESC""", params).df()  # noqa: S608


def cycle_time(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Days from the transaction date (earliest member) to matched, per workflow.

    The match date is when the matcher first made the match, capped at the run's as-of date
    so a run replaying the past is measured in its own time. Columns: ``workflow, matches,
    p50, p95``.
    """
    where, params = filters.where(MATCH_FILTERS)
    return con.execute(f"""
        WITH first AS (SELECT match_id, min(event_date) AS first_date FROM match_member
                       GROUP BY match_id),
             cycle AS (
                SELECT g.workflow,
                       date_diff('day', f.first_date,
                                 least(CAST(g.matched_at AS DATE),
                                       (SELECT max(as_of) FROM run_info))) AS days
                FROM match_group g JOIN first f USING (match_id){where})
        SELECT workflow, count(*) AS matches, quantile_cont(days, 0.5) AS p50,
               quantile_cont(days, 0.95) AS p95
        FROM cycle WHERE days IS NOT NULL GROUP BY workflow ORDER BY workflow""",  # noqa: S608
                       params).df()


def feed_latency(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """Days from a record's business date to its snapshot, per source system.

    Columns: ``source_system, records, p50, p95``. Epoch arithmetic on purpose: an order of
    magnitude faster than calendar differences on time-zone-aware timestamps.
    """
    where, params = filters.where(RECORD_FILTERS)
    where = (where + " AND" if where else " WHERE") + " event_date IS NOT NULL"
    return con.execute(f"""
        SELECT source_system, records, lag[1] AS p50, lag[2] AS p95
        FROM (SELECT source_system, count(*) AS records, quantile_cont(
                         (epoch(extracted_at) - epoch(event_date)) / 86400.0, [0.5, 0.95]) AS lag
              FROM record{where} AND extracted_at IS NOT NULL GROUP BY source_system)
        ORDER BY source_system""", params).df()  # noqa: S608
