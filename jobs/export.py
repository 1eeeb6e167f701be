"""Exception and match reports (SPEC §10), as CSV or XLSX, from the published run.

The same functions serve the command line and the dashboard, so a file exported from either has
the same rows and columns. Cells are safe to open in a spreadsheet: text that a spreadsheet would
take for a formula is prefixed in CSV and always written as text in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

EXCEPTION_COLUMNS = ["exception_id", "workflow", "cause", "sub_cause", "status", "entity",
                     "source_system", "source_ref", "counterpart_system", "counterpart_ref",
                     "currency", "amount", "difference", "first_seen", "age_days", "queue",
                     "assignee", "correlation_id"]
EXCEPTION_EXTRA = ["event_date", "last_seen", "sla_breach", "resolved_by_match", "detail",
                   "candidates"]
MATCH_COLUMNS = ["match_id", "workflow", "rule", "confidence", "left_system", "left_ref",
                 "right_system", "right_ref"]

FILTERABLE = ("workflow", "cause", "entity", "currency", "status", "source_system", "queue")
# Report filters, name -> SQL expression over ``exception_view_sql()``; values are always bound.
VIEW_FILTERS = {**{k: f'"{k}"' for k in FILTERABLE},
                "period": "strftime(event_date, '%Y-%m')", "age_bucket": "age_bucket",
                "assignee": "assignee", "sub_cause": "sub_cause"}
SEARCH = "search"  # free text, found in the id, either reference or the correlation id
UNASSIGNED = "(unassigned)"  # the assignee filter's value for "nobody"
OVERLAY = "_workflow_overlay"
OVERLAY_SCHEMA = pa.schema([("exception_id", pa.string()), ("wf_status", pa.string()),
                            ("wf_assignee", pa.string()), ("wf_queue", pa.string()),
                            ("wf_version", pa.int64())])
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _where(filters: dict[str, list[str]] | None, columns: Mapping[str, str]) -> tuple[str, list]:
    clauses, params = [], []
    for key, values in (filters or {}).items():
        if key == SEARCH and SEARCH in columns:
            if values and str(values[0]).strip():
                clauses.append(columns[SEARCH])
                params += ["%" + str(values[0]).strip().lower() + "%"] * columns[SEARCH].count("?")
            continue
        if key not in columns:
            raise ValueError(f"cannot filter on {key!r}; allowed: {', '.join(columns)}")
        if values:
            clauses.append(_in(columns[key], list(values)))
            params += [v for v in values if v != UNASSIGNED]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _in(column: str, values: list[str]) -> str:
    """``column IN (?, ...)``; the assignee filter's UNASSIGNED also matches NULL."""
    named = [v for v in values if v != UNASSIGNED]
    parts = [f"{column} IN ({', '.join('?' * len(named))})"] if named else []
    if len(named) < len(values):
        parts.append(f"{column} IS NULL")
    return "(" + " OR ".join(parts) + ")"


def exception_view_sql() -> str:
    """Published exceptions as the workflow sees them: the workflow store's state overlaid.

    A manual resolution wins over the published ``open`` (it stays resolved across runs until
    someone reopens it); an automatic resolution by the matcher stands. A queue set by routing
    or assignment replaces the configured one. Needs the ``OVERLAY`` relation (``overlaid``).
    """
    return f"""SELECT e.* REPLACE (
                   CASE WHEN e.status = 'open' AND o.wf_status = 'resolved' THEN 'resolved'
                        ELSE e.status END AS status,
                   coalesce(o.wf_queue, e.queue) AS queue),
               o.wf_assignee AS assignee, coalesce(o.wf_version, 0) AS wf_version
               FROM exception e LEFT JOIN {OVERLAY} o USING (exception_id)"""  # noqa: S608


def exception_where(filters: dict[str, list[str]] | None) -> tuple[str, list]:
    """WHERE clause and parameters over ``exception_view_sql()``; open ones unless told."""
    filters = dict(filters or {})
    filters.setdefault("status", ["open"])
    search = ("(lower(exception_id) LIKE ? OR lower(source_ref) LIKE ? "
              "OR lower(coalesce(counterpart_ref, '')) LIKE ? "
              "OR lower(coalesce(correlation_id, '')) LIKE ?)")
    return _where(filters, {**VIEW_FILTERS, SEARCH: search})


@contextmanager
def overlaid(con: duckdb.DuckDBPyConnection, overlay: pa.Table | None) -> Iterator[None]:
    """Make the workflow overlay (``jobs.workflow.overlay``) visible to ``con`` as ``OVERLAY``.

    Registered on the given connection or cursor only: concurrent readers on other cursors
    never see each other's overlay.
    """
    con.register(OVERLAY, overlay if overlay is not None else OVERLAY_SCHEMA.empty_table())
    try:
        yield
    finally:
        con.unregister(OVERLAY)


def exceptions_table(con: duckdb.DuckDBPyConnection, filters: dict[str, list[str]] | None = None,
                     assignees: dict[str, str] | None = None,
                     overlay: pa.Table | None = None) -> pa.Table:
    """Exception rows in report order; open ones unless ``filters['status']`` says otherwise.

    ``overlay`` is the workflow store's state (``jobs.workflow.overlay``): with it, status,
    queue and assignee are the ones the dashboard shows, and filters apply to them. A bare
    ``assignees`` mapping (exception id -> person) is accepted too.
    """
    if overlay is None and assignees:
        overlay = pa.table({"exception_id": list(assignees), "wf_status": [None] * len(assignees),
                            "wf_assignee": list(assignees.values()),
                            "wf_queue": [None] * len(assignees),
                            "wf_version": [0] * len(assignees)}, schema=OVERLAY_SCHEMA)
    where, params = exception_where(filters)
    cols = ", ".join(f'"{c}"' for c in EXCEPTION_COLUMNS + EXCEPTION_EXTRA)
    with overlaid(con, overlay):
        return con.execute(
            f"SELECT {cols} FROM ({exception_view_sql()}){where} "  # noqa: S608
            "ORDER BY workflow, cause, first_seen, exception_id", params).fetch_arrow_table()


def matches_table(con: duckdb.DuckDBPyConnection, filters: dict[str, list[str]] | None = None) -> pa.Table:
    """One row per left × right member pair of every match group."""
    where, params = _where(filters, {"workflow": "workflow", "rule": "rule"})
    return con.execute(f"""
        SELECT g.match_id, g.workflow, g.rule, g.confidence,
               l.source_system AS left_system, l.source_ref AS left_ref,
               r.source_system AS right_system, r.source_ref AS right_ref
        FROM (SELECT * FROM match_group{where}) g
        JOIN match_member l ON l.match_id = g.match_id AND l.side = 'left'
        JOIN match_member r ON r.match_id = g.match_id AND r.side = 'right'
        ORDER BY g.match_id, left_system, left_ref, right_system, right_ref""",  # noqa: S608
                       params).fetch_arrow_table()


def safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    return value


def write_csv(table: pa.Table, path: Path) -> int:
    numeric = {f.name for f in table.schema if pa.types.is_decimal(f.type)
               or pa.types.is_integer(f.type) or pa.types.is_floating(f.type)}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([_cell(v) if k in numeric else safe_text(_cell(v))
                             for k, v in row.items()])
    return table.num_rows


XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows below the header


class ExportTooLarge(ValueError):
    """More rows than a spreadsheet holds: xlsxwriter would drop the rest silently."""


def write_xlsx(table: pa.Table, path: Path, sheet: str = "exceptions") -> int:
    """Formatted workbook: bold frozen header, autofilter, number and date formats. Rows are
    streamed (xlsxwriter's constant-memory mode), a batch at a time."""
    import xlsxwriter

    if table.num_rows > XLSX_MAX_ROWS:
        raise ExportTooLarge(f"{table.num_rows:,} rows do not fit in one XLSX worksheet (at most "
                             f"{XLSX_MAX_ROWS:,}): filter the view further or export CSV")
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False, "constant_memory": True})
    try:
        ws = book.add_worksheet(sheet)
        head = book.add_format({"bold": True, "bg_color": "#1F3A5F", "font_color": "#FFFFFF"})
        money = book.add_format({"num_format": "#,##0.00;[Red]-#,##0.00"})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        for c, name in enumerate(table.column_names):
            ws.write_string(0, c, name, head)
        rows = (row for batch in table.to_batches(max_chunksize=10_000) for row in batch.to_pylist())
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row.values()):
                _write(ws, r, c, value, money, date)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(table.num_rows, 1), max(table.num_columns - 1, 0))
        for c, name in enumerate(table.column_names):
            ws.set_column(c, c, max(12, min(40, len(name) + 4)))
    finally:
        book.close()
    return table.num_rows


def _write(ws, r: int, c: int, value: Any, money, date) -> None:
    if value is None:
        ws.write_blank(r, c, None)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, Decimal):
        ws.write_number(r, c, float(value), money)  # display only: the CSV keeps exact decimals
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value.replace(tzinfo=None), date)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
    else:
        ws.write_string(r, c, str(value))


def write(table: pa.Table, path: Path, fmt: str, sheet: str = "report") -> int:
    if fmt == "csv":
        return write_csv(table, path)
    if fmt == "xlsx":
        return write_xlsx(table, path, sheet)
    raise ValueError(f"unknown format {fmt!r}; use csv or xlsx")
