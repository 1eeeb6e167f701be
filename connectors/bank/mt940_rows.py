"""One MT940 statement's rows: the library's fields, our signs, our reading of ``:86:``.

Signs come from the debit/credit mark (D and RC negative, C and RD positive) whatever the
library computed; a difference is counted, not hidden. Dates arrive as plain ``datetime.date``
(see :class:`connectors.bank.mt940_lines.Parsed`).
"""

from __future__ import annotations

import re
from typing import Any

from connectors.bank import remittance
from connectors.bank.mt940_lines import Parsed
from connectors.bank.mt940_text import NO_TYPE, Field, Statement
from connectors.bank.proof import StatementProof
from connectors.bank.rows import BANK, ROW_KEYS, real_ref
from connectors.bank.values import BadValue
from connectors.base import payload_hash

#: A row before its values: every key of ``ROW_KEYS`` in order, defaults as ``rows.new_row``.
_ROW = {**dict.fromkeys(ROW_KEYS), "source_system": BANK, "detail_count": 1,
        "is_reversal": False, "status": "booked"}


class StatementRows:
    """One statement's rows and proof from the library's fields and our own :86: reading."""

    def __init__(self, statement: Statement, parsed: Parsed, offset: int):
        self.statement, self.parsed, self.offset = statement, parsed, offset
        data = parsed.data
        self.opening = _first(data, "final_opening_balance", "intermediate_opening_balance",
                              "opening_balance")
        self.closing = _first(data, "final_closing_balance", "intermediate_closing_balance",
                              "closing_balance")
        self.currency = parsed.currency
        self.signs_corrected = 0

    def read(self, entries: list[tuple[Field, list[Field]]],
             lines_61: list[str]) -> tuple[StatementProof, list[dict[str, Any]]]:
        """Rows of the statement's transactions (``entries``, with ``lines_61`` their text)."""
        st = self.statement
        account = st.first("25").value
        interim = self.opening is None and self.closing is None and st.first("34F") is not None
        proof = StatementProof(statement_id=self._statement_id(), account=account,
                               currency=self.currency)
        if interim:
            proof.balance = "interim"
        # A missing balance (a truncated statement) leaves the proof incomplete: reported by
        # the proof, never guessed.
        if self.opening is not None:
            proof.opening = self.opening.amount.amount
        if self.closing is not None:
            proof.closing = self.closing.amount.amount
            proof.closing_date = self.closing.date.isoformat()
        # What every row of the statement shares, in ROW_KEYS order (rows are copies of it).
        self.template = {**_ROW, "account": account, "statement_id": proof.statement_id,
                         "status": "pending" if interim else "booked"}
        rows = []
        for seq, ((_, infos), text, line) in enumerate(
                zip(entries, lines_61, self.parsed.lines, strict=True), start=1):
            row = self._row(seq, text, infos, line)
            proof.add(row["amount"], credit=row["amount"] > 0 or (
                row["amount"] == 0 and row["raw"]["mark"].upper().endswith("C")))
            rows.append(row)
        proof.rows = len(rows)
        return proof, rows

    def _statement_id(self) -> str:
        st = self.statement
        number = st.first("28C", "28")
        parts = [st.first("20").value, number.value if number else None,
                 self.closing.date.isoformat() if self.closing else None]
        return "/".join(p for p in parts if p)

    def _row(self, seq: int, line_61: str, infos: list[Field],
             data: dict[str, Any]) -> dict[str, Any]:
        get = data.get
        mark = str(get("status") or "")
        upper = mark.upper()
        amount = abs(data["amount"]) * (-1 if upper in ("D", "RC") else 1)
        self.signs_corrected += amount != data["amount"]
        currency = data["currency"] or self.currency
        if not currency:
            raise BadValue(f"statement line {seq} has no currency (no balance states one)")
        text, non_swift = _texts(infos)
        info = remittance.parse(text or "")
        kind = None if get("id") == NO_TYPE else get("id")
        bank_reference = get("bank_reference")
        end_to_end = real_ref(info.get("end_to_end_id"))
        counter = _counter_account(data)
        row = self.template.copy()  # a copy and assignments: twice as fast as a literal
        row["source_position"] = self.offset + seq
        row["payload_hash"] = payload_hash(f":61:{line_61}\n:86:{text}")
        row["raw"] = {"line_61": line_61, "info_86": text, "mark": mark,
                      "funds_code": get("funds_code"), "type": kind,
                      "customer_reference": get("customer_reference"),
                      "bank_reference": bank_reference, "extra_details": get("extra_details"),
                      "non_swift": non_swift, "parsed_86": info}
        row["correlation_id"] = row["end_to_end_id"] = end_to_end
        row["currency"] = currency
        row["amount"] = row["entry_amount"] = amount
        row["booking_date"] = data["entry_date"] or data["date"]
        row["value_date"] = data["date"]
        row["is_reversal"] = upper.startswith("R")
        row["entry_seq"] = seq
        row["acct_svcr_ref"] = real_ref(bank_reference)
        row["bank_tx_code"] = kind or info.get("gvc")
        row["counterparty_name"] = info.get("counterparty_name") or counter[1]
        row["counterparty_account"] = info.get("counterparty_account") or counter[0]
        # the German layout's purpose lines joined without their ?2x codes, so that a reference
        # cut over two lines ('9?22004444850') reads whole; the field as written stays in raw
        row["remittance_text"] = info.get("purpose") or text
        row["structured_reference"] = info.get("structured_reference")
        return row


def _texts(infos: list[Field]) -> tuple[str | None, str | None]:
    """The ``:86:`` text and the ``:NS:`` text of a line's details (mostly one ``:86:``)."""
    if len(infos) == 1 and infos[0].tag == "86":
        return remittance.join_lines(infos[0].lines) or None, None
    return (" ".join([remittance.join_lines(f.lines) for f in infos if f.tag == "86"]) or None,
            " ".join([f.value for f in infos if f.tag == "NS"]) or None)


_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def _counter_account(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """ASN and SNS put the counter IBAN in the ``:61:`` customer reference and the name in its
    supplementary details; other banks' references are no IBAN and give nothing here."""
    reference = (data.get("customer_reference") or "").strip()
    if not _IBAN.fullmatch(reference):
        return None, None
    return reference, (data.get("extra_details") or "").strip() or None


def _first(data: dict[str, Any], *keys: str) -> Any:
    return next((data[k] for k in keys if data.get(k) is not None), None)

