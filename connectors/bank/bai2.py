"""BAI2 cash-management files read through the ``bai2`` package, checked against their trailers.

Every account (``03`` ... ``49``), group (``02`` ... ``98``) and the file (``01`` ... ``99``)
states its number of physical records and a control total; both are recomputed from what was
read and a difference rejects the file (``invalid_checksum_eod.bai2`` is the classic case).
Amounts are integers in the currency's minor unit; the type code says credit or debit.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from bai2.constants import TypeCodeTransaction
from bai2.exceptions import NotSupportedYetException, ParsingException

from connectors.bank.bai2_records import FileParser, logical_records, physical_rows
from connectors.bank.proof import Proofs, StatementProof
from connectors.bank.rows import assign_identity, new_row, real_ref
from connectors.bank.values import BadValue, decode_text, minor_units
from connectors.base import Batch, RejectedFile, payload_hash
from connectors.canonical import SourceSystem

_EREF = re.compile(r"\bEREF:\s*(\S+)")
_NAME = {True: re.compile(r"\bDBNM:\s*(.+?)(?=\s+[A-Z]{4}:|$)"),
         False: re.compile(r"\bCRNM:\s*(.+?)(?=\s+[A-Z]{4}:|$)")}


class Bai2Connector:
    """Reads BAI2 into ``bank_transaction`` rows, one statement per account section."""

    name = "bai2"
    system = SourceSystem.BANK

    def sniff(self, head: bytes, path: Path) -> bool:
        """BAI2 files open with the ``01`` file header record."""
        return head.lstrip().startswith(b"01,")

    def read(self, path: Path) -> Batch:
        """Parse, check counts and control totals, return rows; RejectedFile otherwise."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
        if not data.strip():
            raise RejectedFile(path, "file is empty")
        try:
            records = logical_records(physical_rows(decode_text(data)))
        except BadValue as err:
            raise RejectedFile(path, str(err)) from None
        parsed = _parse(path, records)
        return _Reader(path, parsed).batch()


def _parse(path: Path, records: list[Any]) -> Any:
    parser = FileParser(records)
    try:
        parsed = parser.parse()
    except (ParsingException, NotSupportedYetException, ValueError, IndexError, KeyError,
            TypeError, AttributeError) as err:
        current = parser._iter.current_record
        where = f"record {current.code.value} at line {current.line_no}" if current.code else None
        raise RejectedFile(path, f"not valid BAI2: {err}", where) from None
    left = parser._iter.current_record
    if left.code is not None:
        raise RejectedFile(path, "records after the 99 file trailer",
                           f"record {left.code.value} at line {left.line_no}")
    return parsed


class _Reader:
    def __init__(self, path: Path, parsed: Any):
        self.path, self.file = path, parsed
        self.proofs = Proofs(path)
        self.rows: list[dict[str, Any]] = []
        self.statements: list[StatementProof] = []

    def batch(self) -> Batch:
        ids: set[str] = set()
        for group in self.file.children:
            for account in group.children:
                self._account(group, account, ids)
        self._check_file()
        ambiguous = assign_identity(self.rows)
        header = self.file.header
        control = {
            "message": "BAI2", "file_id": header.file_id, "sender": header.sender_id,
            "groups": len(self.file.children), "statements": [s.summary() for s in self.statements],
            "entries": len(self.rows), "rows": len(self.rows),
            "file_control_total": self.file.trailer.file_control_total,
            "ambiguous_references": ambiguous, "problems": self.proofs.problems,
        }
        return Batch(format="bai2", system=SourceSystem.BANK,
                     tables={"bank_transaction": self.rows}, control=control)

    def _check_file(self) -> None:
        file, count = self.file, self.proofs.count
        count(None, "99 file trailer: number of groups", file.trailer.number_of_groups,
              len(file.children))
        count(None, "99 file trailer: number of records", file.trailer.number_of_records,
              _records(file))
        count(None, "99 file trailer: control total", file.trailer.file_control_total,
              sum(g.trailer.group_control_total or 0 for g in file.children))
        for g, group in enumerate(file.children, start=1):
            where = f"group {g} (98 trailer)"
            count(None, f"{where}: number of accounts", group.trailer.number_of_accounts,
                  len(group.children))
            count(None, f"{where}: number of records", group.trailer.number_of_records,
                  _records(group))
            count(None, f"{where}: control total", group.trailer.group_control_total,
                  sum(a.trailer.account_control_total or 0 for a in group.children))

    def _account(self, group: Any, account: Any, ids: set[str]) -> None:
        ident = account.header
        currency = ident.currency or group.header.currency or "USD"
        statement_id = f"{self.file.header.file_id}/{group.header.as_of_date}/" \
                       f"{ident.customer_account_number}"
        while statement_id in ids:
            statement_id += "+"
        ids.add(statement_id)
        proof = StatementProof(statement_id=statement_id, account=ident.customer_account_number,
                               currency=currency)
        stated = account.trailer.account_control_total
        found = sum(d.amount or 0 for d in account.children) + sum(
            s.amount or 0 for s in ident.summary_items)
        where = f"account {ident.customer_account_number} (49 trailer)"
        self.proofs.count(proof, f"{where}: number of records", account.trailer.number_of_records,
                          _records(account))
        self.proofs.count(proof, f"{where}: control total", stated, found)
        scale = Decimal(1).scaleb(-minor_units(currency))
        for seq, detail in enumerate(account.children, start=1):
            row = self._row(seq, detail, proof, group, scale)
            proof.add(row["amount"], booked=row["status"] == "booked")
            self.rows.append(row)
        proof.rows = proof.entries
        proof.balance = "not provable: BAI2 states record counts and control totals (checked)"
        self.statements.append(proof)

    def _row(self, seq: int, detail: Any, proof: StatementProof, group: Any,
             scale: Decimal) -> dict[str, Any]:
        side = detail.type_code.transaction
        magnitude = Decimal(detail.amount or 0) * scale
        amount = -magnitude if side is TypeCodeTransaction.debit else magnitude
        text = detail.text
        eref = _EREF.search(text or "")
        name = _NAME[side is not TypeCodeTransaction.debit].search(text or "")
        as_of = group.header.as_of_date
        value_day = (detail.availability or {}).get("date") if isinstance(
            detail.availability, dict) else None
        raw = {"record": "\n".join(f"{code.value},{body}" for code, body in detail.rows),
               "type_code": detail.type_code.code,
               "type": detail.type_code.description, "amount": str(detail.amount),
               "funds_type": detail.funds_type.value if detail.funds_type else None,
               "bank_reference": detail.bank_reference,
               "customer_reference": detail.customer_reference, "text": text}
        end_to_end = real_ref(eref.group(1) if eref else detail.customer_reference)
        return new_row(
            source_position=len(self.rows) + 1, payload_hash=payload_hash(raw["record"]),
            raw=raw, correlation_id=end_to_end, account=proof.account, currency=proof.currency,
            amount=amount, booking_date=as_of, value_date=value_day or as_of,
            status="booked" if side in (TypeCodeTransaction.credit, TypeCodeTransaction.debit)
            else "info",
            statement_id=proof.statement_id, entry_seq=seq, entry_amount=amount,
            acct_svcr_ref=real_ref(detail.bank_reference), end_to_end_id=end_to_end,
            bank_tx_code=detail.type_code.code,
            counterparty_name=name.group(1).strip() if name else None, remittance_text=text,
        )


def _records(section: Any) -> int:
    """Physical records of a section, continuations included (what trailers count)."""
    return len(section.rows)

