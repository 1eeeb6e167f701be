"""BAI2 cash-management files read through the ``bai2`` package, checked against their trailers.

Every account (``03`` ... ``49``), group (``02`` ... ``98``) and the file (``01`` ... ``99``)
states its number of physical records and a control total; both are recomputed from what was
read, and every ``16`` record of the raw text must be read with the amount its raw record
states (else rejected: our loss). A trailer whose counts match the section it closes controls
it: its control total must match (``invalid_checksum_eod.bai2``, off by one, is rejected). A
trailer whose record, account or group count differs does not describe the section it closes
(moov's sample4/sample5 insert accounts and records without updating the trailers: an account
trailer states 26 records over 18, a group trailer 4 accounts over 5): its figures prove
nothing either way, so they are listed among the problems, not enforced (rejected under the
strict policy), the rows standing on the raw count and raw amounts.
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
from connectors.bank.proof import DEFAULT, Proofs, StatementProof
from connectors.bank.rows import assign_identity, new_row, real_ref
from connectors.bank.values import BadValue, decode_text, minor_units
from connectors.base import Batch, RejectedFile, payload_hash
from connectors.canonical import SourceSystem

#: A ``16`` record at a line start or after the ``/`` ending another record on the same line,
#: counted in the raw text independently of how records are assembled.
_RAW_16 = re.compile(r"(?m)(?:^|/[ \t]+)[ \t]*16,")
_EREF = re.compile(r"\bEREF:\s*(\S+)")
_NAME = {True: re.compile(r"\bDBNM:\s*(.+?)(?=\s+[A-Z]{4}:|$)"),
         False: re.compile(r"\bCRNM:\s*(.+?)(?=\s+[A-Z]{4}:|$)")}


class Bai2Connector:
    """Reads BAI2 into ``bank_transaction`` rows, one statement per account section."""

    name = "bai2"
    system = SourceSystem.BANK

    def __init__(self, on_balance_mismatch: str = DEFAULT):
        Proofs("", on_balance_mismatch)  # refuses an unknown policy now, not at the first read
        self.on_balance_mismatch = on_balance_mismatch

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
            text = decode_text(data)
            records = logical_records(physical_rows(text))
        except BadValue as err:
            raise RejectedFile(path, str(err)) from None
        parsed = _parse(path, records)
        return _Reader(path, parsed, Proofs(path, self.on_balance_mismatch),
                       len(_RAW_16.findall(text))).batch()


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
    def __init__(self, path: Path, parsed: Any, proofs: Proofs, raw_details: int):
        self.path, self.file, self.proofs = path, parsed, proofs
        self.raw_details = raw_details
        self.rows: list[dict[str, Any]] = []
        self.statements: list[StatementProof] = []
        self.miscounts: list[tuple[StatementProof | None, str]] = []
        self.account_totals: dict[int, int] = {}

    def batch(self) -> Batch:
        ids: set[str] = set()
        for group in self.file.children:
            for account in group.children:
                self._account(group, account, ids)
        self._check_file()
        self.proofs.entries_counted("16 transaction detail records", self.raw_details,
                                    len(self.rows))
        for proof, problem in self.miscounts:  # every amount is proved: the count is the file's
            self.proofs.fail(proof, problem)
        ambiguous = assign_identity(self.rows)
        header = self.file.header
        control = {
            "message": "BAI2", "file_id": header.file_id, "sender": header.sender_id,
            "groups": len(self.file.children), "statements": [s.summary() for s in self.statements],
            "entries": len(self.rows), "rows": len(self.rows),
            "file_control_total": self.file.trailer.file_control_total,
            "ambiguous_references": ambiguous, **self.proofs.close(self.statements),
        }
        return Batch(format="bai2", system=SourceSystem.BANK,
                     tables={"bank_transaction": self.rows}, control=control)

    def _trailer(self, proof: StatementProof | None, where: str,
                 counts: list[tuple[str, Any, int]], total: tuple[Any, Any]) -> None:
        """Check a trailer: counts first; the control total is enforced only when the counts
        show that the trailer describes this section (see the module docstring)."""
        off = [(what, stated, found) for what, stated, found in counts
               if stated is not None and stated != found]
        if not off:
            for what, stated, found in counts:
                self.proofs.count(proof, f"{where}: {what}", stated, found)
            self.proofs.count(proof, f"{where}: control total", *total)
            return
        prefix = f"statement {proof.statement_id}: " if proof else ""
        for what, stated, found in off:
            self.miscounts.append((proof, f"{prefix}{where}: {what}: file states {stated} but "
                                          f"{found} were read"))
        if total[0] is not None and total[0] != total[1]:
            found = f"{total[1]} were read"
            self.miscounts.append((proof, f"{prefix}{where}: control total: file states "
                                          f"{total[0]} but {found} (not enforced: the trailer's "
                                          "counts show it does not describe this section)"))

    def _check_file(self) -> None:
        file = self.file
        self._trailer(None, "99 file trailer", [
            ("number of groups", file.trailer.number_of_groups, len(file.children)),
            ("number of records", file.trailer.number_of_records, _records(file))],
            (file.trailer.file_control_total,
             sum(self._group_total(g) for g in file.children)))
        for g, group in enumerate(file.children, start=1):
            self._trailer(None, f"group {g} (98 trailer)", [
                ("number of accounts", group.trailer.number_of_accounts, len(group.children)),
                ("number of records", group.trailer.number_of_records, _records(group))],
                (group.trailer.group_control_total, self._group_total(group)))

    def _group_total(self, group: Any) -> int:
        """What a group holds: each account's stated control total where that total is
        enforced (it equals the records), the records' own sum where it is not."""
        return sum(self.account_totals[id(a)] for a in group.children)

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
        found = sum(d.amount or 0 for d in account.children) + sum(
            s.amount or 0 for s in ident.summary_items)
        self.account_totals[id(account)] = found
        self._trailer(proof, f"account {ident.customer_account_number} (49 trailer)",
                      [("number of records", account.trailer.number_of_records,
                        _records(account))], (account.trailer.account_control_total, found))
        scale = Decimal(1).scaleb(-minor_units(currency))
        for seq, detail in enumerate(account.children, start=1):
            try:
                _confirm_amount(detail)
            except BadValue as err:
                raise RejectedFile(self.path, str(err), f"statement {statement_id}") from None
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



def _confirm_amount(detail: Any) -> None:
    """The amount the package read must be the second field of the raw record."""
    raw = ",".join(body.rstrip().removesuffix("/") for _, body in detail.rows)
    fields = raw.split(",")
    written = fields[1].strip() if len(fields) > 1 else ""
    read = detail.amount or 0
    if not (written == "" and read == 0) and written != str(read) and (
            not written.lstrip("+-").isdigit() or int(written) != read):
        raise BadValue(f"16 record: the bai2 package read amount {read} but the record says "
                       f"{written!r}")
