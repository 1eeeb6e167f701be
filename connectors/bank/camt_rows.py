"""A camt entry's text fields turned into typed rows: one per transaction detail of a batch.

Signs follow ISO 20022: ``CdtDbtInd`` is the direction of the entry itself, so a reversal of a
credit arrives as DBIT with ``RvslInd`` true and is negative. The counterparty is the debtor of
a credit and the creditor of a debit, the other way round for a reversal (whose details
describe the original payment).

This runs once per entry of files with millions of them, so it is written flat: plain
functions and locals, no per-entry objects beyond the rows themselves.
"""

from __future__ import annotations

from decimal import Decimal
from hashlib import blake2b
from typing import Any

from connectors.bank.rows import BANK, NO_REFERENCE, real_ref, reference_core
from connectors.bank.values import (
    SEEN_CURRENCIES,
    SEEN_DATES,
    BadValue,
    check_currency,
    parse_amount,
    parse_date,
    parse_rate,
)

STATUS = {"BOOK": "booked", "PDNG": "pending", "FUTR": "pending", "INFO": "info"}
DIRECTIONS = ("CRDT", "DBIT")

Fields = dict[str, Any]
#: What the statement proof needs from one entry: signed amount, credit side, booked, value
#: date, and whether the amounts of a batch's details add up to the entry.
Figures = tuple[Decimal, bool, bool, "str | None", bool]

_NOTHING: Fields = {}
_MONEY_KEYS = frozenset({"instructed_amount", "exchange_rate", "charges"})


def _hash(content: str) -> str:
    """``connectors.base.payload_hash`` of a text, inlined (a test keeps them equal)."""
    return blake2b(content.encode(), digest_size=16).hexdigest()


def entry_rows(fields: Fields, details: list[Fields], seq: int, position: int, content: str,
               out: list[dict[str, Any]]) -> Figures:
    """Append the rows of one entry to ``out`` and return its figures; BadValue names the
    field that is wrong. ``content`` is the entry's raw text content, the basis of each row's
    ``payload_hash``."""
    get = fields.get
    amount = parse_amount(get("amount"), "Amt")
    currency = get("currency")
    if currency not in SEEN_CURRENCIES:
        currency = check_currency(currency, "Amt Ccy")
    direction = get("cdt_dbt")
    if direction not in DIRECTIONS:
        raise BadValue(f"CdtDbtInd {direction!r} is not CRDT or DBIT" if direction
                       else "CdtDbtInd is missing")
    code = get("status")
    if code is None:
        status = "booked"
    else:
        status = STATUS.get(code) or STATUS.get(code.upper())
        if status is None:
            raise BadValue(f"status {code!r} is not BOOK, PDNG, INFO or FUTR")
    credit = direction == "CRDT"
    signed = amount if credit else -amount
    value_text = get("value_date")
    booked = status == "booked"
    reversal = get("reversal")
    reversal = reversal is not None and reversal.lower() in ("true", "1")
    booking = get("booking_date")
    booking = SEEN_DATES.get(booking) or parse_date(booking, "BookgDt")
    value = SEEN_DATES.get(value_text) or parse_date(value_text, "ValDt")
    ref = get("acct_svcr_ref")
    if ref is not None and ref.upper() in NO_REFERENCE:
        ref = None
    code = get("bank_tx_code") or get("bank_tx_code_proprietary")
    content = f"{currency}\x1f{content}"
    if len(details) <= 1:  # one row (almost every entry): built here, nothing shared
        d = details[0] if details else _NOTHING
        debtor = credit != reversal
        end_to_end = d.get("end_to_end_id")
        if end_to_end is not None and end_to_end.upper() in NO_REFERENCE:
            end_to_end = None
        money = (_NO_MONEY if _MONEY_KEYS.isdisjoint(d) and _MONEY_KEYS.isdisjoint(fields)
                 else _money(d, fields))
        lines = d.get("remittance")
        remittance = (" ".join(filter(None, lines))
                      if lines and "referred_documents" not in d else None)
        out.append({
            "record_id": None, "source_system": BANK, "source_ref": None,
            "source_position": position,
            "payload_hash": blake2b(content.encode(), digest_size=16).hexdigest(),
            "raw": {"entry": fields, "detail": details[0] if details else None},
            "correlation_id": end_to_end, "account": None, "currency": currency,
            "amount": signed, "booking_date": booking, "value_date": value,
            "status": status, "is_reversal": reversal, "statement_id": None,
            "entry_seq": seq, "detail_seq": None, "detail_count": 1,
            "entry_amount": signed, "acct_svcr_ref": ref, "end_to_end_id": end_to_end,
            "bank_tx_code": d.get("bank_tx_code") or code,
            "counterparty_name": (d.get("debtor_name") or d.get("ultimate_debtor")) if debtor
            else (d.get("creditor_name") or d.get("ultimate_creditor")),
            "counterparty_account": d.get("debtor_account" if debtor else "creditor_account"),
            "remittance_text": remittance or _remittance_text(d, fields, None),
            "structured_reference": d.get("creditor_reference"),
            "structured_reference_core": reference_core(d.get("creditor_reference")),
            "instructed_amount": money[0], "instructed_currency": money[1],
            "exchange_rate": money[2], "charges_amount": money[3],
        })
        return signed, credit, booked, value_text, True
    entry = (fields, currency, signed, credit, status, seq, position, len(details), content,
             reversal, booking, value, ref, code)
    amounts = [_detail_amount(d, currency) for d in details]
    if any(a is None for a in amounts):
        out.append(_row(entry, None, signed, credit, None, details))
        return signed, credit, booked, value_text, True
    directions = {d.get("cdt_dbt") for d in details}
    mixed = {"CRDT", "DBIT"} <= directions  # a netted batch: each detail keeps its own sign
    total = Decimal(0)
    for n, (detail, part) in enumerate(zip(details, amounts, strict=True), start=1):
        side = detail.get("cdt_dbt") == "CRDT" if mixed else credit
        part = part if side else -part
        total += part
        out.append(_row(entry, detail, part, side, n))
    return signed, credit, booked, value_text, total == signed


def _detail_amount(detail: Fields, currency: str) -> Decimal | None:
    for key, currency_key in (("amount", "currency"), ("tx_amount", "tx_currency")):
        value = detail.get(key)
        if value is not None and detail.get(currency_key) in (None, currency):
            return parse_amount(value, "TxDtls Amt")
    return None


def _row(entry: tuple, detail: Fields | None, amount: Decimal, credit: bool, n: int | None,
         batch: list[Fields] | None = None) -> dict[str, Any]:
    (e, currency, signed, _, status, seq, position, count, content, reversal, booking, value,
     ref, code) = entry
    d = _NOTHING if detail is None else detail
    # Entry-level FX and charges belong to the row only when the entry has a single row.
    money = _money(d, e if count == 1 or detail is None else _NOTHING)
    debtor = credit != reversal
    end_to_end = real_ref(d.get("end_to_end_id"))
    return {
        "record_id": None, "source_system": BANK, "source_ref": None,
        "source_position": position,
        "payload_hash": _hash(content if n is None else f"{content}\x1e{n}"),
        "raw": {"entry": e, "detail": detail} if batch is None else {"entry": e,
                                                                     "details": batch},
        "correlation_id": end_to_end, "account": None, "currency": currency,
        "amount": amount, "booking_date": booking, "value_date": value,
        "status": status, "is_reversal": reversal, "statement_id": None,
        "entry_seq": seq, "detail_seq": n, "detail_count": count,
        "entry_amount": signed, "acct_svcr_ref": ref, "end_to_end_id": end_to_end,
        "bank_tx_code": d.get("bank_tx_code") or code,
        "counterparty_name": (d.get("debtor_name") or d.get("ultimate_debtor")) if debtor
        else (d.get("creditor_name") or d.get("ultimate_creditor")),
        "counterparty_account": d.get("debtor_account" if debtor else "creditor_account"),
        "remittance_text": _remittance_text(d, e, batch),
        "structured_reference": d.get("creditor_reference"),
        "structured_reference_core": reference_core(d.get("creditor_reference")),
        "instructed_amount": money[0], "instructed_currency": money[1],
        "exchange_rate": money[2], "charges_amount": money[3],
    }


_NO_MONEY = (None, None, None, None)


def _money(detail: Fields, entry: Fields) -> tuple[Any, ...]:
    """Instructed amount and currency, exchange rate and charges, the detail's before the
    entry's; all None (the common case) costs a few tests."""
    if _MONEY_KEYS.isdisjoint(detail) and _MONEY_KEYS.isdisjoint(entry):
        return _NO_MONEY
    source = detail if ("instructed_amount" in detail or "exchange_rate" in detail
                        or "charges" in detail) else entry
    if not ("instructed_amount" in source or "exchange_rate" in source or "charges" in source):
        return _NO_MONEY
    instructed, rate = source.get("instructed_amount"), source.get("exchange_rate")
    charges = detail.get("charges") or entry.get("charges")
    return (None if instructed is None else parse_amount(instructed, "InstdAmt"),
            source.get("instructed_currency") if instructed else None,
            None if rate is None else parse_rate(rate, "XchgRate"),
            None if charges is None else Decimal(charges))


def _remittance_text(detail: Fields, entry: Fields, batch: list[Fields] | None) -> str | None:
    """Unstructured remittance joined with spaces; else the most specific free text there is.
    The numbers of referred documents (``Strd/RfrdDocInf/Nb``: the invoices a payment settles,
    often the only place a batch names them) follow the text."""
    if batch is not None:
        texts = [_remittance_text(d, {}, None) for d in batch]
        return " ".join(t for t in texts if t) or entry.get("additional_info")
    documents = " ".join(detail.get("referred_documents") or ())
    for lines in (detail.get("remittance"), detail.get("additional_remittance")):
        if lines:
            joined = " ".join(line for line in lines if line)
            if joined:
                return f"{joined} {documents}" if documents else joined
    fallback = detail.get("additional_info") or entry.get("additional_info")
    return " ".join(t for t in (documents, fallback) if t) or None
