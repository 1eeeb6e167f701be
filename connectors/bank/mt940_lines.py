"""``:61:`` lines read as the standard dialect of mt-940 reads them, at a fraction of its cost.

:func:`mt940.parse` spends about 20 µs on each line (splitting the text into tags, running
processors, building model objects). Here the library reads only the few statement-level
fields (reference, balances, sums); each line is taken apart by the library's own ``:61:``
pattern, or by a simpler one where that gives the same groups (the usual line), and its dates
go through the library's own rules once per distinct date.

That gives the library's result only for a plain statement, so anything else returns None and
is parsed by the library as a whole: a line its pattern does not read, or without a
transaction type (the library merges it into the next), a line or field the library could
split otherwise (a continuation line starting with ``:``, a ``-`` line, a tag it does not
know), or a balance between lines (the lines' currency could change).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import mt940

from connectors.bank.mt940_text import joined

OPTIONS = mt940.Options.all()
_STATEMENT = mt940.tags.TAG_BY_ID[61]
_MATCH = _STATEMENT.re.match
#: Tags the library reads (by their two first characters, as it does); any other one is
#: glued to the field before it.
_KNOWN = frozenset({"13", "20", "21", "25", "28", "34", "60", "61", "62", "64", "65", "86", "90",
                    "NS"})
#: The usual line: YYMMDD MMDD, mark, amount (at most 15 characters), type, customer reference
#: (16x) and bank reference (23x) without a ``/``. The library's pattern can read such a line
#: in one way only: no funds code, empty supplementary details (see :func:`_groups`).
_PLAIN = re.compile(r"([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})(R?[CD])"
                    r"([0-9]{1,12},[0-9]{2})([A-Z]{4})([^/\n]{0,16})(?://([^/\n]{1,23}))?").fullmatch
_GROUPS = ("year", "month", "day", "entry_month", "entry_day", "status", "funds_code", "amount",
           "id", "customer_reference", "bank_reference", "extra_details")
#: Marks whose amount the library negates under ``Options.all()``.
_DEBIT = frozenset({"D", "RC"})


@dataclass
class Parsed:
    """What mt-940 read of one statement: its statement-level fields, its currency, and each
    ``:61:`` line's fields (``amount`` signed by the library, ``currency`` as the library saw
    it at the line, ``date`` and ``entry_date`` as plain dates)."""

    data: dict[str, Any]
    currency: str | None
    lines: list[dict[str, Any]]

    @classmethod
    def of(cls, parsed: mt940.models.Transactions) -> Parsed:
        """What :func:`mt940.parse` read, in this form."""
        lines = [{**t.data, "amount": t.data["amount"].amount,
                  "currency": t.data["amount"].currency, "date": _day(t.data.get("date")),
                  "entry_date": _day(t.data.get("entry_date"))} for t in parsed]
        return cls(parsed.data, parsed.currency, lines)


def standard(fields: list[tuple[str, str]]) -> Parsed | None:
    """The standard dialect's reading of a statement's rendered fields, or None where only
    :func:`mt940.parse` itself can tell."""
    tags = [tag for tag, _ in fields]
    first = tags.index("61") if "61" in tags else len(tags)
    end = first + tags.count("61")
    if "61" in tags[end:] or not _KNOWN.issuperset(tag[:2] for tag in tags):
        return None
    try:
        parsed = mt940.parse(joined(fields[:first]), options=OPTIONS)  # the fields before the lines
        currency = parsed.currency  # as the library gives it to each line
        lines = [_line(value, currency) for _, value in fields[first:end]]
        parsed.parse(joined(fields[end:]))  # and those after them
    except Exception:  # noqa: BLE001 (the library raises untyped errors; so does _line)
        return None
    return Parsed(parsed.data, parsed.currency, lines)


class _NotPlain(Exception):
    """A line that the library might read otherwise than its pattern does alone."""


def _line(value: str, currency: str | None) -> dict[str, Any]:
    (year, month, day, entry_month, entry_day, mark, funds_code, amount, kind, customer,
     bank, extra) = _groups(value)
    if not kind:
        raise _NotPlain(value)  # the library merges a line without a type into the next one
    amount = Decimal(amount.replace(",", "."))
    date, entry_date = _dates(year, month, day, entry_month, entry_day)
    return {"status": mark, "funds_code": funds_code,
            "amount": -amount if mark.upper() in _DEBIT else amount, "currency": currency,
            "id": kind, "customer_reference": customer, "bank_reference": bank,
            "extra_details": extra, "date": date, "entry_date": entry_date}


def _groups(value: str) -> tuple[str | None, ...]:
    """The library pattern's groups (``_GROUPS``) of a line. The usual line is taken apart by
    ``_PLAIN``, twice as fast: on such a line the library's pattern matches each part greedily
    and never backtracks, so both give the same groups (a test holds them equal)."""
    plain = _PLAIN(value)
    if plain is not None:
        year, month, day, entry_month, entry_day, mark, amount, kind, customer, bank = (
            plain.groups())
        return year, month, day, entry_month, entry_day, mark, None, amount, kind, customer, \
            bank, ""
    match = _MATCH(value)
    if match is None or "\n" in value and any(
            line[:1] == ":" or line == "-" for line in value.split("\n")):
        raise _NotPlain(value)  # not read, or the library would cut a tag there or drop a line
    return match.group(*_GROUPS)


@lru_cache(maxsize=4096)
def _dates(year: str, month: str, day: str, entry_month: str | None,
           entry_day: str | None) -> tuple[dt.date, dt.date | None]:
    """Value and entry date by the library's own rules (February 30, year boundaries)."""
    value = {"year": year, "month": month, "day": day, "entry_month": entry_month,
             "entry_day": entry_day, "status": "C", "amount": "0"}
    for processor in mt940.models.Transactions.DEFAULT_PROCESSORS["pre_statement"]:
        value = processor(_EMPTY, _STATEMENT, value)
    data = _STATEMENT(_EMPTY, value)
    return _day(data["date"]), _day(data.get("entry_date"))


_EMPTY = mt940.models.Transactions(options=OPTIONS)


def _day(value: Any) -> dt.date | None:
    """The library's date subclass as a plain date (rows must hold plain values)."""
    return None if value is None else dt.date(value.year, value.month, value.day)
