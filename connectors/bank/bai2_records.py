"""BAI2 records as banks send them, assembled for the ``bai2`` package's parsers.

The package expects one record per line and a known type code everywhere. Real files put
several records on one line (``.../   16,...``), wrap a long record onto a bare line, continue
records with ``88`` and use bank-specific type codes (``190500000`` is a correct reading of a
code split across a continuation). This module splits and joins physical lines into logical
records, keeps the physical rows so record counts can be checked, and subclasses the package's
parsers only where they refuse valid input: unknown type codes, fields split by a continuation,
and the text field of a detail (which may hold commas and slashes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bai2 import constants, models, parsers
from bai2.constants import RecordCode, TypeCode, TypeCodeLevel, TypeCodeTransaction
from bai2.exceptions import NotSupportedYetException, ParsingException

from connectors.bank.values import BadValue

LINE_LIMIT = 10_000
_CODES = "|".join(code.value for code in RecordCode)
_START = re.compile(rf"^({_CODES}),")
_SPLIT = re.compile(rf"(?<=/)\s+(?=(?:{_CODES}),)")


@dataclass
class Row:
    """One physical record: its code, text after the code, and the line it starts on."""

    code: RecordCode
    text: str
    line_no: int


def physical_rows(text: str) -> list[Row]:
    """Records in file order: several per line split, wrapped lines joined to their record."""
    rows: list[Row] = []
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > LINE_LIMIT:
            raise BadValue(f"line {line_no} is {len(raw)} characters long (limit {LINE_LIMIT})")
        line = raw.strip()
        if not line:
            continue
        for part in _SPLIT.split(line):
            match = _START.match(part)
            if match:
                rows.append(Row(RecordCode(match.group(1)), part[match.end():], line_no))
            elif rows:  # a record wrapped onto a bare line (no record code)
                rows[-1].text += " " + part
            else:
                raise BadValue(f"line {line_no}: {part[:20]!r} does not start with a BAI2 "
                               "record code (01, 02, 03, 16, 49, 88, 98, 99)")
    if not rows or rows[0].code is not RecordCode.file_header:
        found = rows[0].code.value if rows else "nothing"
        raise BadValue(f"first record must be the 01 file header, found {found}")
    return rows


def logical_records(rows: list[Row]) -> list[models.Record]:
    """Each record with its ``88`` continuations folded in, fields split on commas.

    A row ending in ``/`` ends a field, so the next continuation starts a new field; a row
    without ``/`` is cut inside free text, and the continuation carries on that text.
    """
    records: list[models.Record] = []
    for row in rows:
        if row.code is RecordCode.continuation:
            if not records:
                raise BadValue(f"line {row.line_no}: 88 continuation without a record to continue")
            _continue(records[-1], row)
        else:
            record = models.Record(code=row.code, fields=[], rows=[(row.code, row.text)])
            record.body = row.text
            record.line_no = row.line_no
            records.append(record)
    for record in records:
        record.fields = record.body.rstrip().removesuffix("/").split(",")
    return records


def _continue(record: models.Record, row: Row) -> None:
    body = record.body.rstrip()
    ended = body.endswith("/")
    if ended and not _in_text(record.code, body[:-1]):
        record.body = body[:-1] + "," + row.text
    else:  # free text carries on, whether or not the bank ended the row with "/"
        record.body = (body[:-1] if ended else body) + " " + row.text
    record.rows.append((row.code, row.text))


_AVAILABILITY = {"S": 3, "V": 2}


def _in_text(code: RecordCode, body: str) -> bool:
    """True when a 16 record has reached its last field, the free text."""
    if code is not RecordCode.transaction_detail:
        return False
    fields = body.split(",")
    funds = fields[2] if len(fields) > 2 else ""
    extra = _AVAILABILITY.get(funds, 0)
    if funds == "D" and len(fields) > 3 and fields[3].isdigit():
        extra = 1 + 2 * int(fields[3])
    return len(fields) > 3 + extra + 2


class Records:
    """The iterator the package's parsers walk (``current_record`` and ``advance``)."""

    def __init__(self, records: list[models.Record]):
        self._records = iter(records)
        self.current_record: models.Record | None = None
        self.advance()

    def advance(self) -> None:
        self.current_record = next(self._records, _END)


_END = models.Record(code=None, fields=[], rows=[])


def type_code(value: str) -> TypeCode:
    """A known type code, or one the BAI2 ranges classify (100-399 credit, 400-699 debit)."""
    try:
        return constants.TypeCodes[value]
    except KeyError:
        pass
    if not value.isdigit():
        raise NotSupportedYetException(f"type code {value!r} is not a number")
    number = int(value[:3])
    side = (TypeCodeTransaction.credit if 100 <= number < 400 else
            TypeCodeTransaction.debit if 400 <= number < 700 else None)
    level = TypeCodeLevel.status if number < 100 else TypeCodeLevel.detail
    return TypeCode(value, side, level, "bank-specific type code")


def _funds(value: str) -> constants.FundsType:
    try:
        return constants.FundsType(value)
    except ValueError:
        raise ParsingException(f"funds type {value!r} is not one of Z, 0, 1, 2, S, V, D") from None


class _Availability:
    """Availability amounts left empty count as zero instead of failing ``int('')``."""

    @classmethod
    def _parse_availability(cls, funds_type, rest):  # noqa: ANN001, ANN206 (package signature)
        if funds_type == constants.FundsType.distributed_availability_simple:
            rest = [v or "0" for v in rest[:3]] + rest[3:]
        elif funds_type == constants.FundsType.distributed_availability and rest:
            used = 1 + 2 * int(rest[0] or 0)
            rest = [v or "0" for v in rest[:used]] + rest[used:]
        return super()._parse_availability(funds_type, rest)


class _Detail(_Availability, parsers.TransactionDetailParser):
    head_fields_config = [("type_code", type_code), ("amount", int), ("funds_type", _funds)]

    def _parse_fields(self, record: models.Record) -> dict:
        fields = super()._parse_fields(record)
        fields["text"] = (fields.get("text") or "").strip(" ,/") or None
        return fields


class _AccountIdentifier(_Availability, parsers.AccountIdentifierParser):
    summary_fields_config = [("type_code", type_code), ("amount", int), ("item_count", int),
                             ("funds_type", _funds)]

    def _parse_fields(self, record: models.Record) -> dict:
        """Summaries of four fields (plus availability); an empty field where a type code is
        due is the stray comma some banks write before ``/`` and is skipped."""
        values = record.fields
        fields = {"customer_account_number": values[0] if values else None,
                  "currency": (values[1] if len(values) > 1 else "") or None}
        rest, items = list(values[2:]), []
        while rest:
            if not rest[0]:
                rest.pop(0)
                continue
            rest += [""] * (4 - len(rest)) if len(rest) < 4 else []
            summary = self._parse_fields_from_config(rest, self.summary_fields_config)
            rest = rest[4:]
            availability, rest = self._parse_availability(summary["funds_type"], rest)
            if availability:
                summary["availability"] = availability
            items.append(models.Summary(**summary))
        fields["summary_items"] = items
        return fields


class _Account(parsers.AccountParser):
    header_parser_class = _AccountIdentifier
    child_parser_class = _Detail


class _Group(parsers.GroupParser):
    child_parser_class = _Account


class FileParser(parsers.Bai2FileParser):
    """The package's file parser wired to the tolerant parsers above; integrity checks are
    done by :mod:`connectors.bank.bai2` with figures in the message."""

    child_parser_class = _Group

    def __init__(self, records: list[models.Record]):
        super().__init__(Records(records), check_integrity=False)
