"""A camt entry's text fields turned into typed rows: one per transaction detail of a batch.

Signs follow ISO 20022: ``CdtDbtInd`` is the direction of the entry itself, so a reversal of a
credit arrives as DBIT with ``RvslInd`` true and is negative. The counterparty is the debtor of
a credit and the creditor of a debit, the other way round for a reversal (whose details
describe the original payment).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.bank.rows import BANK, real_ref
from connectors.bank.values import (
    BadValue,
    check_currency,
    parse_amount,
    parse_date,
    parse_rate,
)
from connectors.base import payload_hash

STATUS = {"BOOK": "booked", "PDNG": "pending", "FUTR": "pending", "INFO": "info"}
DIRECTIONS = ("CRDT", "DBIT")

Fields = dict[str, Any]


@dataclass(slots=True)
class EntryFigures:
    """What the statement proof needs from one entry."""

    amount: Decimal
    credit: bool
    booked: bool
    value_date: str | None
    batch_adds_up: bool


def entry_rows(fields: Fields, details: list[Fields], seq: int, position: int,
               content: str) -> tuple[list[dict[str, Any]], EntryFigures]:
    """The rows of one entry and its figures; BadValue names the field that is wrong.

    ``content`` is the entry's raw text content, the basis of each row's ``payload_hash``.
    """
    amount = parse_amount(fields.get("amount"), "Amt")
    currency = check_currency(fields.get("currency"), "Amt Ccy")
    direction = fields.get("cdt_dbt")
    if direction not in DIRECTIONS:
        raise BadValue(f"CdtDbtInd {direction!r} is not CRDT or DBIT" if direction
                       else "CdtDbtInd is missing")
    status = _status(fields.get("status"))
    credit = direction == "CRDT"
    signed = amount if credit else -amount
    entry = _Entry(fields, currency, signed, credit, status, seq, position, len(details),
                   f"{currency}\x1f{content}")
    rows, adds_up = entry.rows(details)
    figures = EntryFigures(signed, credit, status == "booked", fields.get("value_date"), adds_up)
    return rows, figures


def _status(code: str | None) -> str:
    if code is None:
        return "booked"
    status = STATUS.get(code.upper())
    if status is None:
        raise BadValue(f"status {code!r} is not BOOK, PDNG, INFO or FUTR")
    return status


_NOTHING: Fields = {}


class _Entry:
    """Typed entry-level values, computed once and shared by the entry's rows."""

    def __init__(self, fields: Fields, currency: str, signed: Decimal, credit: bool,
                 status: str, seq: int, position: int, count: int, content: str):
        self.fields, self.currency, self.signed, self.credit = fields, currency, signed, credit
        self.status, self.seq, self.position = status, seq, position
        self.count = max(count, 1)
        self.content = content  # the entry's text and currency: what payload_hash hashes
        self.reversal = (fields.get("reversal") or "").lower() in ("true", "1")
        self.booking = parse_date(fields.get("booking_date"), "BookgDt")
        self.value = parse_date(fields.get("value_date"), "ValDt")
        self.ref = real_ref(fields.get("acct_svcr_ref"))
        self.code = fields.get("bank_tx_code") or fields.get("bank_tx_code_proprietary")

    def rows(self, details: list[Fields]) -> tuple[list[dict[str, Any]], bool]:
        """One row per detail when every detail has its own amount, else one for the entry."""
        if len(details) <= 1:
            detail = details[0] if details else None
            return [self._row(detail, self.signed, self.credit, None)], True
        amounts = [self._detail_amount(d) for d in details]
        if any(a is None for a in amounts):
            return [self._row(None, self.signed, self.credit, None, details)], True
        directions = {d.get("cdt_dbt") for d in details}
        mixed = {"CRDT", "DBIT"} <= directions  # a netted batch: each detail keeps its own sign
        rows, total = [], Decimal(0)
        for n, (detail, amount) in enumerate(zip(details, amounts, strict=True), start=1):
            credit = detail.get("cdt_dbt") == "CRDT" if mixed else self.credit
            signed = amount if credit else -amount
            total += signed
            rows.append(self._row(detail, signed, credit, n))
        return rows, total == self.signed

    def _detail_amount(self, detail: Fields) -> Decimal | None:
        for key, currency_key in (("amount", "currency"), ("tx_amount", "tx_currency")):
            value = detail.get(key)
            if value is not None and detail.get(currency_key) in (None, self.currency):
                return parse_amount(value, "TxDtls Amt")
        return None

    def _row(self, detail: Fields | None, amount: Decimal, credit: bool, n: int | None,
             batch: list[Fields] | None = None) -> dict[str, Any]:
        e = self.fields
        d = detail or _NOTHING
        # Entry-level FX and charges belong to the row only when the entry has a single row.
        money = _money(d, e if self.count == 1 or detail is None else _NOTHING)
        debtor = credit != self.reversal
        end_to_end = real_ref(d.get("end_to_end_id"))
        return {
            "record_id": None, "source_system": BANK, "source_ref": None,
            "source_position": self.position,
            "payload_hash": payload_hash(self.content if n is None else f"{self.content}\x1e{n}"),
            "raw": {"entry": e, "detail": detail} if batch is None else {"entry": e,
                                                                         "details": batch},
            "correlation_id": end_to_end, "account": None, "currency": self.currency,
            "amount": amount, "booking_date": self.booking, "value_date": self.value,
            "status": self.status, "is_reversal": self.reversal, "statement_id": None,
            "entry_seq": self.seq, "detail_seq": n, "detail_count": self.count,
            "entry_amount": self.signed, "acct_svcr_ref": self.ref, "end_to_end_id": end_to_end,
            "bank_tx_code": d.get("bank_tx_code") or self.code,
            "counterparty_name": (d.get("debtor_name") or d.get("ultimate_debtor")) if debtor
            else (d.get("creditor_name") or d.get("ultimate_creditor")),
            "counterparty_account": d.get("debtor_account" if debtor else "creditor_account"),
            "remittance_text": _remittance_text(d, e, batch),
            "structured_reference": d.get("creditor_reference"),
            "instructed_amount": money[0], "instructed_currency": money[1],
            "exchange_rate": money[2], "charges_amount": money[3],
        }


def _money(detail: Fields, entry: Fields) -> tuple[Any, ...]:
    """Instructed amount and currency, exchange rate and charges, the detail's before the
    entry's; all None (the common case) costs one test."""
    source = detail if "instructed_amount" in detail or "exchange_rate" in detail or \
        "charges" in detail else entry
    if not ("instructed_amount" in source or "exchange_rate" in source or "charges" in source):
        return None, None, None, None
    instructed, rate = source.get("instructed_amount"), source.get("exchange_rate")
    charges = detail.get("charges") or entry.get("charges")
    return (None if instructed is None else parse_amount(instructed, "InstdAmt"),
            source.get("instructed_currency") if instructed else None,
            None if rate is None else parse_rate(rate, "XchgRate"),
            None if charges is None else Decimal(charges))


def _remittance_text(detail: Fields, entry: Fields, batch: list[Fields] | None) -> str | None:
    """Unstructured remittance joined with spaces; else the most specific free text there is."""
    if batch is not None:
        texts = [_remittance_text(d, {}, None) for d in batch]
        return " ".join(t for t in texts if t) or entry.get("additional_info")
    for lines in (detail.get("remittance"), detail.get("additional_remittance")):
        if lines:
            joined = " ".join(line for line in lines if line)
            if joined:
                return joined
    return detail.get("additional_info") or entry.get("additional_info")
