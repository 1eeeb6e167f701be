"""Master data CSVs (customers, vendors, bank accounts, entities, FX rates), known by their header.

These files are small and hand-maintained, so they are read strictly: a missing value, a bad
date or rate, or one key given twice with different values rejects the file with the line, so
that a mapping error is fixed at the source instead of matching against half a table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connectors.base import Batch, RejectedFile
from connectors.canonical import SourceSystem


class BadValue(ValueError):
    """A value in a master-data file that cannot be used; the message names column and value."""


@dataclass(frozen=True)
class Kind:
    """One master-data file type: its SPEC §3 header, target table, key and row builder."""

    name: str
    header: tuple[str, ...]
    table: str
    key: tuple[str, ...]
    build: Callable[[dict[str, str]], dict[str, Any]]


def _req(rec: dict[str, str], col: str) -> str:
    value = rec.get(col, "").strip()
    if not value:
        raise BadValue(f"{col} is empty")
    return value


def _opt(rec: dict[str, str], col: str) -> str | None:
    return rec.get(col, "").strip() or None


def _ccy(rec: dict[str, str], col: str) -> str:
    value = _req(rec, col).upper()
    if len(value) != 3 or not value.isalpha():
        raise BadValue(f"{col} {value!r} is not a three-letter currency code")
    return value


def _rate(rec: dict[str, str]) -> Decimal:
    try:
        rate = Decimal(_req(rec, "rate"))
    except InvalidOperation:
        raise BadValue(f"rate {rec.get('rate')!r} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise BadValue(f"rate {rec.get('rate')!r} is not a positive number")
    return rate


def _date(rec: dict[str, str]) -> dt.date:
    try:
        return dt.date.fromisoformat(_req(rec, "date"))
    except ValueError:
        raise BadValue(f"date {rec.get('date')!r} is not an ISO date (YYYY-MM-DD)") from None


def _party(kind: str, id_col: str, erp_col: str) -> Callable[[dict[str, str]], dict[str, Any]]:
    return lambda r: {"kind": kind, "system_id": _req(r, id_col), "erp_id": _opt(r, erp_col),
                      "name": _req(r, "name"), "company_code": _opt(r, "company_code")}


KINDS = (
    Kind("customers", ("billing_customer_id", "erp_customer", "name", "company_code"),
         "counterparty", ("kind", "system_id"), _party("customer", "billing_customer_id", "erp_customer")),
    Kind("vendors", ("procurement_supplier_id", "erp_vendor", "name", "company_code"),
         "counterparty", ("kind", "system_id"), _party("vendor", "procurement_supplier_id", "erp_vendor")),
    Kind("bank_accounts", ("account", "company_code", "gl_account", "currency"), "account",
         ("account",), lambda r: {"account": _req(r, "account").replace(" ", ""),
                                  "company_code": _req(r, "company_code"),
                                  "gl_account": _req(r, "gl_account"), "currency": _ccy(r, "currency")}),
    Kind("entities", ("company_code", "name", "currency"), "entity", ("company_code",),
         lambda r: {"company_code": _req(r, "company_code"), "name": _req(r, "name"),
                    "currency": _ccy(r, "currency")}),
    Kind("fx_rates", ("date", "from", "to", "rate"), "fx_rate",
         ("date", "from_currency", "to_currency"),
         lambda r: {"date": _date(r), "from_currency": _ccy(r, "from"),
                    "to_currency": _ccy(r, "to"), "rate": _rate(r)}),
)


def _first_line(head: bytes) -> list[str] | None:
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line.strip():
        return None
    delimiter = ";" if line.count(";") > line.count(",") else ","
    return [c.strip().lower() for c in next(csv.reader([line], delimiter=delimiter))]


_LEDGER_COLUMNS = frozenset({"document_number", "line_item", "posting_date", "belnr", "buzei"})


def kind_of(header: list[str]) -> Kind | None:
    """The file type whose SPEC header is contained in this header (extra columns are allowed).

    A header that also names ledger-line columns is an ERP export with a ``name`` column, not
    master data, and is left to the ERP connector.
    """
    columns = set(header)
    if columns & _LEDGER_COLUMNS:
        return None
    matches = [k for k in KINDS if set(k.header) <= columns]
    return max(matches, key=lambda k: len(k.header)) if matches else None


class ReferenceConnector:
    """Reads the five master-data CSVs into counterparty, account, entity and fx_rate rows."""

    name = "reference_csv"
    system = SourceSystem.REFERENCE

    def sniff(self, head: bytes, path: Path) -> bool:
        header = _first_line(head)
        return header is not None and kind_of(header) is not None

    def read(self, path: Path) -> Batch:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as err:
            raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
        except UnicodeDecodeError as err:
            raise RejectedFile(path, f"not UTF-8 text: {err.reason} at byte {err.start}") from None
        header = _first_line(text.encode())
        kind = kind_of(header) if header else None
        if kind is None:
            raise RejectedFile(path, "header is not one of customers, vendors, bank_accounts, "
                                     "entities or fx_rates (SPEC §3)", "line 1")
        rows = _rows(path, text, kind)
        return Batch(format=f"reference_{kind.name}", system=self.system,
                     tables={kind.table: rows}, control={"kind": kind.name, "rows": len(rows)})


def _rows(path: Path, text: str, kind: Kind) -> list[dict[str, Any]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
    rows: dict[tuple[Any, ...], tuple[int, dict[str, Any]]] = {}
    for record in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue  # blank line
        if None in record:
            raise RejectedFile(path, "more fields than the header has", f"line {line}")
        try:
            row = kind.build({k: v or "" for k, v in record.items()})
        except BadValue as err:
            raise RejectedFile(path, str(err), f"line {line}") from None
        key = tuple(row[k] for k in kind.key)
        if key in rows and rows[key][1] != row:
            raise RejectedFile(path, f"{', '.join(map(str, key))} is given twice with different "
                                     f"values (also line {rows[key][0]})", f"line {line}")
        rows.setdefault(key, (line, row))
    return [row for _, row in rows.values()]
