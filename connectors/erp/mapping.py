"""Which source column feeds which ledger_line column, so any real ERP export fits by configuration.

A preset lists, for each canonical column, the source names it may carry (case-insensitive,
first present wins). A user mapping (canonical column -> source column) overrides single entries
on top of the preset that fits the file's header. Besides the canonical columns, three helper
roles exist: ``debit_credit`` (an S/H or D/C indicator for unsigned amounts), ``entry_time``
(SAP CPUTM, joined to CPUDT) and ``ledger`` (ACDOCA RLDNR, to keep one ledger only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

COLUMNS: tuple[str, ...] = (
    "company_code", "fiscal_year", "document_number", "line_item", "document_type",
    "posting_date", "document_date", "entry_timestamp", "gl_account", "account_type",
    "customer", "vendor", "amount", "currency", "amount_local", "local_currency", "reference",
    "assignment", "text", "clearing_document", "clearing_date", "trading_partner",
    "purchase_order",
)
HELPERS: tuple[str, ...] = ("debit_credit", "entry_time", "ledger")

IDENTITY = ("company_code", "fiscal_year", "document_number", "line_item")
REQUIRED = (*IDENTITY, "posting_date", "gl_account", "amount", "currency")
SNIFF_REQUIRED = ("company_code", "document_number")
"""Enough to claim a file as an ERP table; ``read`` then names whatever else is missing."""

_PLAIN = {c: (c,) for c in COLUMNS} | {
    "debit_credit": ("debit_credit", "dc_indicator", "shkzg", "drcrk"),
}

_SAP = {
    "company_code": ("bukrs",), "fiscal_year": ("gjahr",), "document_number": ("belnr",),
    "line_item": ("buzei",), "document_type": ("blart", "h_blart"),
    "posting_date": ("budat", "h_budat"), "document_date": ("bldat", "h_bldat"),
    "entry_timestamp": ("cpudt",), "entry_time": ("cputm",), "gl_account": ("hkont", "saknr"),
    "account_type": ("koart",), "customer": ("kunnr",), "vendor": ("lifnr",),
    "amount": ("wrbtr",), "currency": ("waers", "h_waers"), "amount_local": ("dmbtr",),
    "local_currency": ("hwaer", "h_hwaer"), "reference": ("xblnr",), "assignment": ("zuonr",),
    "text": ("sgtxt",), "clearing_document": ("augbl",), "clearing_date": ("augdt",),
    "trading_partner": ("vbund",), "purchase_order": ("ebeln",), "debit_credit": ("shkzg",),
}

# S/4HANA universal journal (ACDOCA) and its FAGLFLEXA predecessor: signed amounts in WSL/HSL,
# DRCRK as indicator, line number DOCLN, UTC entry TIMESTAMP, one row per ledger (RLDNR).
_ACDOCA = {
    "company_code": ("rbukrs",), "fiscal_year": ("gjahr", "ryear"), "document_number": ("belnr",),
    "line_item": ("docln", "buzei"), "document_type": ("blart",), "posting_date": ("budat",),
    "document_date": ("bldat",), "entry_timestamp": ("timestamp",), "gl_account": ("racct",),
    "account_type": ("koart",), "customer": ("kunnr",), "vendor": ("lifnr",),
    "amount": ("wsl", "tsl"), "currency": ("rwcur", "rtcur"), "amount_local": ("hsl",),
    "local_currency": ("rhcur",), "reference": ("xblnr", "awref"), "assignment": ("zuonr",),
    "text": ("sgtxt",), "clearing_document": ("augbl",), "clearing_date": ("augdt",),
    "trading_partner": ("rassc",), "purchase_order": ("ebeln",), "debit_credit": ("drcrk",),
    "ledger": ("rldnr",),
}

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {"plain": _PLAIN, "sap": _SAP, "sap_acdoca": _ACDOCA}
DEFAULT_LEDGER = {"sap_acdoca": "0L"}
"""ACDOCA holds one row per ledger; by default only the leading ledger is read."""


@dataclass(frozen=True)
class Resolved:
    """A mapping applied to one header: canonical/helper role -> index of the source column."""

    preset: str
    columns: dict[str, int]
    header: list[str]
    wanted: dict[str, tuple[str, ...]]
    """The source names looked for, per role (for error messages)."""

    def source_name(self, role: str) -> str | None:
        idx = self.columns.get(role)
        return None if idx is None else self.header[idx]

    def missing(self, roles: tuple[str, ...]) -> list[str]:
        return [r for r in roles if r not in self.columns]

    def describe_missing(self, roles: tuple[str, ...]) -> str:
        """Missing roles with the source names that were looked for, for error messages."""
        return ", ".join(f"{r} ({' / '.join(self.wanted.get(r, (r,)))})" for r in self.missing(roles))


def validate_mapping(mapping: Mapping[str, str] | str | None) -> None:
    """Fail early (at configuration time) on an unknown preset or canonical column."""
    if mapping is None:
        return
    if isinstance(mapping, str):
        if mapping not in PRESETS:
            raise ValueError(f"unknown ERP mapping preset {mapping!r}; known: {sorted(PRESETS)}")
        return
    unknown = sorted(set(mapping) - set(COLUMNS) - set(HELPERS))
    if unknown:
        raise ValueError(f"ERP mapping names unknown column(s) {unknown}; "
                         f"known: {list(COLUMNS) + list(HELPERS)}")


def resolve(header: list[str], mapping: Mapping[str, str] | str | None) -> Resolved | None:
    """Fit a mapping to a header, or None when no preset finds company code and document number.

    Without a preset name, the first preset that finds the amount too wins; failing that, the
    first that finds the document identity, so ``read`` can name the missing amount column.
    """
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name.strip().lower(), i)
    presets = [mapping] if isinstance(mapping, str) else list(PRESETS)
    explicit = dict(mapping) if isinstance(mapping, Mapping) else {}
    fits = [_fit(preset, index, explicit, header) for preset in presets]
    fits = [f for f in fits if not f.missing(SNIFF_REQUIRED)]
    complete = [f for f in fits if "amount" in f.columns]
    return (complete or fits or [None])[0]


def _fit(preset: str, index: dict[str, int], explicit: dict[str, str], header: list[str]) -> Resolved:
    wanted = PRESETS[preset] | {role: (name,) for role, name in explicit.items()}
    columns: dict[str, int] = {}
    for role, names in wanted.items():
        found = next((index[n.strip().lower()] for n in names if n.strip().lower() in index), None)
        if found is not None:
            columns[role] = found
    return Resolved(preset, columns, header, wanted)


def split_header(head: bytes) -> tuple[list[str], str] | None:
    """The first CSV line's column names and the delimiter, or None when it is not a CSV header."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first or first.lstrip()[:1] in ("{", "[", "<"):
        return None
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    if first.count(delimiter) == 0:
        return None
    try:
        header = next(csv.reader(io.StringIO(first), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    return [h.strip() for h in header], delimiter
