"""ERP general-ledger line items from CSV (SAP BSEG/ACDOCA style or plain), read through DuckDB.

DuckDB parses the file as text and casts it in SQL (``connectors.erp.sql``), so no Python loop
touches a field: a million lines come back as one Arrow table (``tests/test_connectors_erp_bench``). Lines whose values do not parse are kept with a
NULL in the typed column (the raw payload holds the text) and are counted in ``Batch.control``;
lines without a document identity, or one key with two different contents, reject the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import blake2b
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import Batch, RejectedFile, read_head
from connectors.canonical import SourceSystem
from connectors.erp import sql
from connectors.erp.mapping import (
    DEFAULT_LEDGER,
    REQUIRED,
    Resolved,
    resolve,
    split_header,
    validate_mapping,
)


class ErpLineItemConnector:
    """Reads one line-item CSV export into ``ledger_line`` rows (an Arrow table)."""

    name = "erp_line_items"
    system = SourceSystem.ERP

    def __init__(self, mapping: Mapping[str, str] | str | None = None, decimal: str | None = None,
                 debit_credit: str | None = None, timezone: str = "UTC",
                 encoding: str = "utf-8", ledger: str | None = None):
        """Configure the reader.

        Args:
            mapping: a preset name (``plain``, ``sap``, ``sap_acdoca``) or canonical column ->
                source column; unmapped columns fall back to the preset that fits the header.
            decimal: ``"."`` or ``","``; None guesses per file from the amount column.
            debit_credit: source column holding an S/H (D/C) indicator for unsigned amounts.
            timezone: zone of naive entry timestamps (SAP CPUDT/CPUTM is server local time).
            encoding: file encoding as DuckDB names it (``utf-8``, ``latin-1``, ``utf-16``).
            ledger: ACDOCA ledger to keep (default ``0L``, the leading ledger).
        """
        validate_mapping(mapping)
        if decimal not in (None, ".", ","):
            raise ValueError(f"decimal separator must be '.' or ',', got {decimal!r}")
        ZoneInfo(timezone)  # fails early on an unknown zone
        if debit_credit:
            mapping = {**(mapping if isinstance(mapping, Mapping) else {}),
                       "debit_credit": debit_credit}
        self.mapping, self.decimal, self.timezone = mapping, decimal, timezone
        self.encoding, self.ledger = encoding, ledger

    def sniff(self, head: bytes, path: Path) -> bool:
        parsed = split_header(head)
        return parsed is not None and resolve(parsed[0], self.mapping) is not None

    def read(self, path: Path) -> Batch:
        resolved, delimiter = self._resolve(path)
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            return self._read(con, path, resolved, delimiter)
        finally:
            con.close()

    def _resolve(self, path: Path) -> tuple[Resolved, str]:
        head = read_head(path)
        parsed = split_header(head)
        if parsed is None:
            raise RejectedFile(path, "not a delimited text file with a header row", "line 1")
        resolved = resolve(parsed[0], self.mapping)
        if resolved is None:
            raise RejectedFile(path, "header has no company code and document number columns "
                                     "(company_code/BUKRS/RBUKRS, document_number/BELNR)", "line 1")
        missing = resolved.missing(REQUIRED)
        if missing:
            hint = ("; BSEG keeps them in its BKPF document header: export BSEG joined with BKPF"
                    if resolved.preset == "sap" and set(missing) <= {"posting_date", "currency"}
                    else "")
            raise RejectedFile(path, f"not a line-item table for mapping '{resolved.preset}': "
                                     f"missing {resolved.describe_missing(REQUIRED)}{hint}", "line 1")
        return resolved, parsed[1]

    def _read(self, con: duckdb.DuckDBPyConnection, path: Path, r: Resolved, delim: str) -> Batch:
        params = {"path": str(path), "delim": delim, "encoding": self.encoding}
        try:
            decimal = self.decimal or _guess_decimal(con, r, params)
            ledger = (self.ledger or DEFAULT_LEDGER.get(r.preset) or "").upper()
            # ACDOCA's TIMESTAMP is UTC by definition; CPUDT/CPUTM are the server's local time.
            tz = "UTC" if r.preset == "sap_acdoca" else self.timezone
            query = sql.select_sql(r, decimal, tz, bool(ledger))
            if "$ledger" in query:
                params["ledger"] = ledger
            typed = con.execute(query, params).fetch_arrow_table()
        except duckdb.Error as err:
            hint = " (set the connector's encoding, e.g. latin-1)" \
                if "unicode" in str(err).lower() else ""
            raise RejectedFile(path, f"CSV cannot be parsed: {_first_line(err)}{hint}") from None
        typed = typed.append_column("pos", pa.array(range(typed.num_rows), pa.int64()))
        con.register("typed", typed)
        repeats = _check_identity(con, path, r)
        table = typed
        if repeats or not pc.all(typed.column("in_ledger")).as_py():
            drop = con.execute(sql.repeats_sql()).fetch_arrow_table().column("pos")
            table = typed.filter(pc.and_(typed.column("in_ledger"),
                                         pc.invert(pc.is_in(typed.column("pos"), drop))))
        control = _control(con, r, decimal, ledger or None, typed, table.num_rows)
        return Batch(format="erp_line_items_csv", system=self.system,
                     tables={"ledger_line": _finish(table)}, control=control)


def _first_line(err: Exception) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return " ".join(lines[:3])[:400]


def _guess_decimal(con: duckdb.DuckDBPyConnection, r: Resolved, params: dict[str, str]) -> str:
    """',' when amounts look like 1.234,56 and none like 1,234.56; '.' otherwise."""
    commas, dots = con.execute(sql.decimal_probe_sql(r), params).fetchone()
    if commas and not dots:
        return ","
    if dots and not commas:
        return "."
    return "," if params["delim"] == ";" else "."


def _line(pos: int) -> str:
    return f"line {pos + 2}"  # header is line 1; data rows are 0-based


def _check_identity(con: duckdb.DuckDBPyConnection, path: Path, r: Resolved) -> bool:
    """Reject the file when a line cannot be keyed, or one key carries two different contents.

    Returns whether exact repeats (same key, same content) exist; they are dropped after the first.
    """
    bad = con.execute(sql.unidentified_sql()).fetchone()
    if bad:
        pos, missing, total = bad
        names = ", ".join(f"{c} ({r.source_name(c)})" for c in missing.split(", "))
        raise RejectedFile(path, f"{total} line(s) without a document identity; first: no {names}",
                           _line(pos))
    clash = con.execute(sql.repeated_keys_sql()).fetchone()
    if clash and clash[3]:
        first, last, n, _, cc, fy, doc, item = clash
        raise RejectedFile(path, f"line key {cc}/{fy}/{doc}/{item} appears {n} times with "
                                 f"different content (also {_line(last)})", _line(first))
    return clash is not None


def _control(con: duckdb.DuckDBPyConnection, r: Resolved, decimal: str, ledger: str | None,
             typed: pa.Table, kept: int) -> dict[str, Any]:
    in_ledger = pc.sum(typed.column("in_ledger").cast(pa.int64())).as_py() or 0
    return {
        "mapping": r.preset,
        "columns": {role: r.header[i] for role, i in r.columns.items()},
        "decimal": decimal,
        "rows_in_file": typed.num_rows,
        "lines": kept,
        "ledger": ledger,
        "other_ledger_rows_skipped": typed.num_rows - in_ledger,
        "exact_repeats_dropped": in_ledger - kept,
        "unreadable_values": [
            {"column": col, "source_column": r.source_name(col), "rows": n, "first": _line(first)}
            for col, n, first in con.execute(sql.problems_sql()).fetchall()
        ],
    }


def _finish(table: pa.Table) -> pa.Table:
    """Drop the helper columns; add record_id (from the line key) and payload_hash (of raw).

    Both are exactly ``record_key`` and ``payload_hash`` of ``connectors.base``, computed inline
    over a million rows because the function-call overhead alone would cost seconds.
    """
    keys = table.column("key_text").cast(pa.binary()).to_pylist()
    record_ids = [blake2b(k, digest_size=10).hexdigest() for k in keys]
    raws = table.column("raw").cast(pa.binary()).to_pylist()
    hashes = [blake2b(raw, digest_size=16).hexdigest() for raw in raws]
    positions = table.column("pos")
    table = table.drop_columns(list(sql.HELPER_COLUMNS))
    n = table.num_rows
    return (table.add_column(0, "record_id", pa.array(record_ids, pa.string()))
            .add_column(1, "source_system", pa.array([SourceSystem.ERP.value] * n, pa.string()))
            .add_column(2, "source_position", positions)
            .append_column("payload_hash", pa.array(hashes, pa.string())))
