"""The exception queue (SPEC §6, §9, §10): one page of the filtered view, its totals and details.

The rows and filters are exactly those of the exception report (``jobs.export``): the same view
(published exceptions with the workflow store's state overlaid) and the same WHERE clause, so the
screen and its CSV/XLSX export always agree. A page of rows is read with LIMIT/OFFSET; totals
are one aggregate; nothing loads the whole queue. No Streamlit here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

import duckdb
import pandas as pd
import pyarrow as pa

from app.queries import Filters
from jobs import export
from jobs.published import AGE_BUCKETS

STATUSES = ("open", "resolved", "auto_resolved")
PAGE_COLUMNS = ["exception_id", "status", "workflow", "cause", "sub_cause", "entity",
                "source_system", "source_ref", "counterpart_system", "counterpart_ref",
                "currency", "amount", "difference", "first_seen", "age_days", "sla_breach",
                "queue", "assignee", "wf_version"]
ORDER = " ORDER BY workflow, cause, first_seen, exception_id"  # the report's order


@dataclass(frozen=True)
class QueueFilters:
    """The Exceptions page's own filters, on top of the shared sidebar ones."""

    queue: tuple[str, ...] = ()
    status: tuple[str, ...] = ("open",)
    assignee: tuple[str, ...] = ()
    age_bucket: tuple[str, ...] = ()
    search: str = ""

    def report(self, shared: Filters) -> dict[str, list[str]]:
        """Filters for ``jobs.export``: shared and page filters together, empty ones dropped.

        An empty status selection means every status (the report's default would be open).
        """
        chosen = {f.name: list(getattr(shared, f.name)) for f in fields(shared)}
        chosen |= {"queue": list(self.queue), "assignee": list(self.assignee),
                   "age_bucket": list(self.age_bucket),
                   "status": list(self.status or STATUSES)}
        out = {k: v for k, v in chosen.items() if v}
        if self.search.strip():
            out[export.SEARCH] = [self.search.strip()]
        return out


@dataclass(frozen=True)
class QueueTotals:
    exceptions: int
    sla_breaches: int
    unassigned: int


def totals(con: duckdb.DuckDBPyConnection, report: dict, overlay: pa.Table | None) -> QueueTotals:
    """Counts over the whole filtered view (not just the page shown)."""
    where, params = export.exception_where(report)
    sql = ("SELECT count(*), count(*) FILTER (WHERE sla_breach AND status = 'open'), "  # noqa: S608
           "count(*) FILTER (WHERE assignee IS NULL) "
           f"FROM ({export.exception_view_sql()}){where}")
    with export.overlaid(con, overlay):
        n, breaches, unassigned = con.execute(sql, params).fetchone()
    return QueueTotals(n, breaches, unassigned)


def page(con: duckdb.DuckDBPyConnection, report: dict, overlay: pa.Table | None,
         limit: int, offset: int = 0) -> pd.DataFrame:
    """One page of the filtered view, in report order, with the columns the table shows."""
    where, params = export.exception_where(report)
    cols = ", ".join(f'"{c}"' for c in PAGE_COLUMNS)
    sql = (f"SELECT {cols} FROM ({export.exception_view_sql()}){where}{ORDER} "  # noqa: S608
           "LIMIT ? OFFSET ?")
    with export.overlaid(con, overlay):
        return con.execute(sql, [*params, int(limit), int(offset)]).df()


def versions(con: duckdb.DuckDBPyConnection, report: dict,
             overlay: pa.Table | None) -> dict[str, tuple[int, str]]:
    """Id -> (workflow version, status) of every exception in the filtered view ("act on all")."""
    where, params = export.exception_where(report)
    sql = (f"SELECT exception_id, wf_version, status FROM ({export.exception_view_sql()})"  # noqa: S608
           f"{where}")
    with export.overlaid(con, overlay):
        return {x: (v, s) for x, v, s in con.execute(sql, params).fetchall()}


def detail(con: duckdb.DuckDBPyConnection, exception_id: str,
           overlay: pa.Table | None) -> dict | None:
    """Every column of one exception as the workflow sees it, or None if not in this run."""
    sql = f"SELECT * FROM ({export.exception_view_sql()}) WHERE exception_id = ?"  # noqa: S608
    with export.overlaid(con, overlay):
        frame = con.execute(sql, [exception_id]).df()
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    row["candidates"] = _refs(row.get("candidates"))
    return row


def related(con: duckdb.DuckDBPyConnection, row: dict) -> pd.DataFrame:
    """The exception's own record, its counterpart and its candidates, from ``record``.

    Columns: ``role, source_system, source_ref, entity, currency, amount, event_date,
    snapshot_id, source_file, raw``; one row per record (the first workflow's copy).
    """
    wanted = [("this record", row.get("source_system"), row.get("source_ref")),
              ("counterpart", row.get("counterpart_system"), row.get("counterpart_ref"))]
    for ref in row.get("candidates") or []:
        system, _, source_ref = str(ref).partition(":")
        wanted.append(("candidate", system, source_ref))
    wanted = [w for w in wanted if w[1] and w[2]]
    if not wanted:
        return pd.DataFrame(columns=["role", "source_system", "source_ref"])
    values = ", ".join("(?, ?, ?, ?)" for _ in wanted)
    params = [v for i, w in enumerate(wanted) for v in (i, *w)]
    return con.execute(f"""
        WITH wanted(k, role, source_system, source_ref) AS (VALUES {values}),
             hit AS (SELECT DISTINCT ON (w.k) w.k, r.*
                     FROM wanted w JOIN record r
                       ON r.source_system = w.source_system AND r.source_ref = w.source_ref
                     ORDER BY w.k, r.workflow)
        SELECT w.role, w.source_system, w.source_ref, h.entity, h.currency, h.amount,
               h.event_date, h.snapshot_id, h.source_file, h.raw
        FROM wanted w LEFT JOIN hit h USING (k)
        ORDER BY w.k""", params).df()  # noqa: S608


def queue_names(con: duckdb.DuckDBPyConnection, configured: list[str]) -> list[str]:
    """Queues of the published run and of the configuration (cacheable per run)."""
    names = {q for (q,) in con.execute("SELECT DISTINCT queue FROM exception").fetchall() if q}
    return sorted(names | set(configured))


def with_overlay_queues(queues: list[str], overlay: pa.Table | None) -> list[str]:
    """``queues`` plus those set by hand in the workflow store."""
    if overlay is None or not overlay.num_rows:
        return queues
    return sorted(set(queues) | {q for q in overlay.column("wf_queue").to_pylist() if q})


def assignee_names(overlay: pa.Table | None) -> list[str]:
    """People exceptions are assigned to (from the workflow store)."""
    if overlay is None or not overlay.num_rows:
        return []
    return sorted({a for a in overlay.column("wf_assignee").to_pylist() if a})


def age_buckets() -> list[str]:
    return list(AGE_BUCKETS)


def _refs(candidates) -> list[str]:
    """Candidate references ``system:ref`` from the JSON column (None, text or list)."""
    if candidates is None or (isinstance(candidates, float) and pd.isna(candidates)):
        return []
    if isinstance(candidates, str):
        try:
            candidates = json.loads(candidates)
        except ValueError:
            return [candidates]
    return [str(c) for c in candidates or []]
