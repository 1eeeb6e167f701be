"""Exception and match reports (SPEC §10), as CSV or XLSX, from the published run.

The same functions serve the command line and the dashboard, so a file exported from either has
the same rows and columns. Cells are safe to open in a spreadsheet: text that a spreadsheet would
take for a formula is prefixed in CSV and always written as text in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _where(filters: dict[str, list[str]] | None, columns: tuple[str, ...]) -> tuple[str, list]:
    clauses, params = [], []
    for key, values in (filters or {}).items():
        if key not in columns:
            raise ValueError(f"cannot filter on {key!r}; allowed: {', '.join(columns)}")
        if values:
            clauses.append(f'"{key}" IN (' + ", ".join("?" * len(values)) + ")")
            params += list(values)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def exceptions_table(con: duckdb.DuckDBPyConnection, filters: dict[str, list[str]] | None = None,
                     assignees: dict[str, str] | None = None) -> pa.Table:
    """Exception rows in report order; open ones unless ``filters['status']`` says otherwise."""
    filters = dict(filters or {})
    filters.setdefault("status", ["open"])
    where, params = _where(filters, FILTERABLE)
    cols = ", ".join(f'"{c}"' for c in EXCEPTION_COLUMNS + EXCEPTION_EXTRA if c != "assignee")
    table = con.execute(
        f"SELECT {cols} FROM exception{where} ORDER BY workflow, cause, first_seen, exception_id",
        params).fetch_arrow_table()
    names = table.column("exception_id").to_pylist()
    assigned = pa.array([(assignees or {}).get(x) for x in names], type=pa.string())
    table = table.add_column(EXCEPTION_COLUMNS.index("assignee"), "assignee", assigned)
    return table


def matches_table(con: duckdb.DuckDBPyConnection, filters: dict[str, list[str]] | None = None) -> pa.Table:
    """One row per left × right member pair of every match group."""
    where, params = _where(filters, ("workflow", "rule"))
    return con.execute(f"""
        SELECT g.match_id, g.workflow, g.rule, g.confidence,
               l.source_system AS left_system, l.source_ref AS left_ref,
               r.source_system AS right_system, r.source_ref AS right_ref
        FROM (SELECT * FROM match_group{where}) g
        JOIN match_member l ON l.match_id = g.match_id AND l.side = 'left'
        JOIN match_member r ON r.match_id = g.match_id AND r.side = 'right'
        ORDER BY g.match_id, left_system, left_ref, right_system, right_ref""",
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


def write_xlsx(table: pa.Table, path: Path, sheet: str = "exceptions") -> int:
    """Formatted workbook: bold frozen header, autofilter, number and date formats."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False})
    try:
        ws = book.add_worksheet(sheet)
        head = book.add_format({"bold": True, "bg_color": "#1F3A5F", "font_color": "#FFFFFF"})
        money = book.add_format({"num_format": "#,##0.00;[Red]-#,##0.00"})
        date = book.add_format({"num_format": "yyyy-mm-dd"})
        for c, name in enumerate(table.column_names):
            ws.write_string(0, c, name, head)
        for r, row in enumerate(table.to_pylist(), start=1):
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
