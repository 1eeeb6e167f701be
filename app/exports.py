"""Download files of the dashboard: the exception report exactly as filtered on screen, made by
``jobs.export`` (the same code as ``recon export``), as bytes. No Streamlit here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from app import privacy
from jobs import export

MIME = {"csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def exceptions_bytes(con: duckdb.DuckDBPyConnection, report: dict[str, list[str]],
                     overlay: pa.Table | None, fmt: str, mask: bool) -> bytes:
    """The exception report for ``report`` filters as CSV or XLSX bytes.

    With ``mask`` (a role that may not see account numbers), IBANs inside text cells are
    masked; nothing else differs from ``recon export`` with the same filters.
    """
    table = export.exceptions_table(con, report, overlay=overlay)
    if mask:
        table = mask_table(table)
    with tempfile.TemporaryDirectory(prefix="recon-export-") as folder:
        path = Path(folder) / f"exceptions.{fmt}"
        export.write(table, path, fmt, sheet="exceptions")
        return path.read_bytes()


def mask_table(table: pa.Table) -> pa.Table:
    """IBANs in the table's text columns masked (``privacy.mask_text``)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(i)
            if pc.any(pc.match_substring_regex(column, privacy.IBAN_START.pattern)).as_py():
                masked = pa.array([privacy.mask_text(v) if v is not None else None
                                   for v in column.to_pylist()], type=field.type)
                table = table.set_column(i, field, masked)
    return table
