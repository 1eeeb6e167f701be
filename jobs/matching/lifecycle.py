"""Results across runs: current match groups, and exceptions that live from run to run.

An exception keeps its first-seen date; a timing difference that outlives its window becomes a
missing counterpart with the same id; when its record is matched it closes itself, recording the
match that resolved it (SPEC §5.3).
"""

from __future__ import annotations

import datetime as dt

import duckdb

from jobs.schema import create_table_sql
from jobs.warehouse import REBUILT

GROUP_ROWS = """
    SELECT match_id, $run_id AS run_id, any_value(workflow) AS workflow, any_value(rule) AS rule,
           min(confidence) AS confidence,
           CASE WHEN count(DISTINCT currency) = 1 THEN any_value(currency) END AS currency,
           sum(amount) FILTER (WHERE side = 'left') AS amount,
           count(DISTINCT strftime(event_date, '%Y-%m')) > 1 AS cutoff_flag,
           date_diff('day', min(event_date), max(event_date)) AS latency_days,
           $now AS matched_at
    FROM recon__groups GROUP BY match_id"""

MEMBER_ROWS = """
    SELECT match_id, record_id, side, source_system, source_ref, amount, event_date
    FROM recon__groups"""

CLOSE_RESOLVED = """
    UPDATE exception SET status = 'auto_resolved', resolved_at = $as_of,
           resolved_by_match = (SELECT g.match_id FROM recon__groups g
                                WHERE g.record_id = exception.record_id LIMIT 1)
    WHERE status = 'open' AND exception_id NOT IN (SELECT exception_id FROM recon__exc_now)"""

EXCEPTION_ROWS = """
    SELECT n.exception_id, n.workflow, n.cause, n.sub_cause, 'open' AS status, n.entity,
           n.source_system, n.source_ref, n.record_id, o.source_system AS counterpart_system,
           o.source_ref AS counterpart_ref, n.other_id AS counterpart_record_id, n.currency,
           n.amount, n.difference, n.event_date,
           least(coalesce(n.event_date, $as_of), $as_of) AS first_seen, $as_of AS last_seen,
           NULL::DATE AS resolved_at, NULL::VARCHAR AS resolved_by_match,
           n.correlation_id, n.detail, to_json(c.refs) AS candidates
    FROM recon__exc_now n LEFT JOIN recon__records o ON o.record_id = n.other_id
    LEFT JOIN (SELECT n2.record_id, list(r.source_system || ':' || r.source_ref ORDER BY k) AS refs
               FROM recon__exc_now n2, unnest(n2.candidates) WITH ORDINALITY AS u(cand, k)
               JOIN recon__records r ON r.record_id = u.cand
               GROUP BY n2.record_id) c ON c.record_id = n.record_id"""

# This run's open exceptions: those seen before are updated in place (keeping their first-seen
# date), the others inserted. An INSERT ... ON CONFLICT DO UPDATE of the same rows took 232 s
# for 815k open exceptions at 5M records.
REOPEN = """
    UPDATE exception SET
        cause = n.cause, sub_cause = n.sub_cause, status = 'open', entity = n.entity,
        counterpart_system = n.counterpart_system, counterpart_ref = n.counterpart_ref,
        counterpart_record_id = n.counterpart_record_id, amount = n.amount,
        difference = n.difference, last_seen = n.last_seen, resolved_at = NULL,
        resolved_by_match = NULL, detail = n.detail, candidates = n.candidates
    FROM recon__exc_rows n WHERE exception.exception_id = n.exception_id"""

INSERT_NEW = """
    INSERT INTO exception BY NAME
    SELECT * FROM recon__exc_rows n
    WHERE NOT EXISTS (SELECT 1 FROM exception x WHERE x.exception_id = n.exception_id)"""


def persist(con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date) -> None:
    """Store this run's groups and merge its exceptions into the long-lived exception table."""
    params = {"run_id": run_id, "as_of": as_of, "now": dt.datetime.now(dt.UTC)}
    con.execute("BEGIN TRANSACTION")
    try:
        # Rebuilt, not emptied (deleting every row of an indexed table cost 38 s of 57 s at 1M
        # records), and without a key index (see ``warehouse.REBUILT``)
        for table in REBUILT:
            con.execute(f"DROP TABLE {table}")
            con.execute(create_table_sql(table, primary_key=False))
        con.execute(f"INSERT INTO match_group BY NAME {GROUP_ROWS}",
                    {k: params[k] for k in ("run_id", "now")})
        con.execute(f"INSERT INTO match_member BY NAME {MEMBER_ROWS}")
        con.execute(CLOSE_RESOLVED, {"as_of": as_of})
        con.execute(f"CREATE OR REPLACE TEMP TABLE recon__exc_rows AS {EXCEPTION_ROWS}",
                    {"as_of": as_of})
        con.execute(REOPEN)
        con.execute(INSERT_NEW)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
