"""One MT940 statement's rows: the library's fields, our signs, our reading of ``:86:``.

Signs come from the debit/credit mark (D and RC negative, C and RD positive) whatever the
library computed; a difference is counted, not hidden. Dates become plain ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import mt940

from connectors.bank import remittance
from connectors.bank.mt940_text import NO_TYPE, Field, Statement, line_61
from connectors.bank.proof import StatementProof
from connectors.bank.rows import new_row, real_ref
from connectors.bank.values import BadValue
from connectors.base import payload_hash


class StatementRows:
    """One statement's rows and proof from the library's fields and our own :86: reading."""

    def __init__(self, statement: Statement, parsed: mt940.models.Transactions, offset: int):
        self.statement, self.parsed, self.offset = statement, parsed, offset
        data = parsed.data
        self.opening = _first(data, "final_opening_balance", "intermediate_opening_balance",
                              "opening_balance")
        self.closing = _first(data, "final_closing_balance", "intermediate_closing_balance",
                              "closing_balance")
        self.currency = parsed.currency
        self.signs_corrected = 0

    def read(self) -> tuple[StatementProof, list[dict[str, Any]]]:
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
        rows = []
        for seq, (line, infos) in enumerate(st.transactions(), start=1):
            row = self._row(seq, line, infos, self.parsed[seq - 1].data, proof, interim)
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

    def _row(self, seq: int, line: Field, infos: list[Field], data: dict[str, Any],
             proof: StatementProof, interim: bool) -> dict[str, Any]:
        mark = str(data.get("status") or "")
        amount = abs(data["amount"].amount) * (-1 if mark.upper() in ("D", "RC") else 1)
        self.signs_corrected += amount != data["amount"].amount
        currency = data["amount"].currency or self.currency
        if not currency:
            raise BadValue(f"statement line {seq} has no currency (no balance states one)")
        text = " ".join(remittance.join_lines(f.lines) for f in infos if f.tag == "86") or None
        info = remittance.parse(text or "")
        kind = None if data.get("id") == NO_TYPE else data.get("id")
        raw = {"line_61": line_61(line), "info_86": text, "mark": mark,
               "funds_code": data.get("funds_code"), "type": kind,
               "customer_reference": data.get("customer_reference"),
               "bank_reference": data.get("bank_reference"),
               "extra_details": data.get("extra_details"),
               "non_swift": " ".join(f.value for f in infos if f.tag == "NS") or None,
               "parsed_86": info}
        end_to_end = real_ref(info.get("end_to_end_id"))
        counter = _counter_account(data)
        return new_row(
            source_position=self.offset + seq,
            payload_hash=payload_hash(f":61:{raw['line_61']}\n:86:{text}"),
            raw=raw, correlation_id=end_to_end, account=proof.account, currency=currency,
            amount=amount, booking_date=_day(data.get("entry_date") or data.get("date")),
            value_date=_day(data.get("date")), status="pending" if interim else "booked",
            is_reversal=mark.upper().startswith("R"), statement_id=proof.statement_id,
            entry_seq=seq, entry_amount=amount,
            acct_svcr_ref=real_ref(data.get("bank_reference")), end_to_end_id=end_to_end,
            bank_tx_code=kind or info.get("gvc"),
            counterparty_name=info.get("counterparty_name") or counter[1],
            counterparty_account=info.get("counterparty_account") or counter[0],
            remittance_text=text, structured_reference=info.get("structured_reference"),
        )


_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")


def _counter_account(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """ASN and SNS put the counter IBAN in the ``:61:`` customer reference and the name in its
    supplementary details; other banks' references are no IBAN and give nothing here."""
    reference = (data.get("customer_reference") or "").strip()
    if not _IBAN.fullmatch(reference):
        return None, None
    return reference, (data.get("extra_details") or "").strip() or None


def _day(value: Any) -> dt.date | None:
    """The library's date subclass as a plain date (rows must hold plain values)."""
    return None if value is None else dt.date(value.year, value.month, value.day)


def _first(data: dict[str, Any], *keys: str) -> Any:
    return next((data[k] for k in keys if data.get(k) is not None), None)

