"""ISO 20022 camt.053 statements and camt.054 notifications (.001.02 to .001.08), streamed.

Any namespace (default, prefixed, or none) and any version: elements are matched on their
local names. Every statement is proved (see :mod:`connectors.bank.proof`): the entries read
must be as many as the file's ``<Ntry>`` tags, counted in the raw bytes, and the counts and sums
of ``TxsSummry`` must match what was read, else the file is rejected; opening (OPBD, else PRCD)
plus booked entries must equal the closing balance (CLBD), else the statement is listed among
the problems (or the file rejected, by policy). Notifications carry no balances; the control
figures say so instead of pretending a proof.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException

from connectors.bank.camt_entry import child, path_text, read_entry, text
from connectors.bank.camt_rows import entry_rows
from connectors.bank.camt_xml import MESSAGES, CamtStream, NotCamt, NtryCounter, local
from connectors.bank.proof import DEFAULT, Proofs, StatementProof
from connectors.bank.rows import assign_identity
from connectors.bank.values import BadValue, check_currency, parse_amount
from connectors.base import Batch, RejectedFile
from connectors.canonical import SourceSystem

SNIFF_MARKERS = (b"camt.05", b"BkToCstmrStmt", b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrAcctRpt")


class CamtConnector:
    """Reads camt.053/.054 (and .052) XML into ``bank_transaction`` rows."""

    name = "camt"
    system = SourceSystem.BANK

    def __init__(self, on_balance_mismatch: str = DEFAULT):
        Proofs("", on_balance_mismatch)  # refuses an unknown policy now, not at the first read
        self.on_balance_mismatch = on_balance_mismatch

    def sniff(self, head: bytes, path: Path) -> bool:
        """XML naming a camt namespace or message element, whatever the file is called."""
        xml = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")
        return xml and any(marker in head for marker in SNIFF_MARKERS)

    def read(self, path: Path) -> Batch:
        """Stream, prove and return the file's rows; RejectedFile for anything untrustworthy."""
        path = Path(path)
        reader = _Reader(path, Proofs(path, self.on_balance_mismatch))
        enabled = gc.isenabled()
        gc.disable()  # by choice: a parse allocates millions of acyclic objects; gc triples its cost
        try:
            reader.run()
            return reader.batch()
        finally:
            if enabled:
                gc.enable()


@dataclass
class _Statement:
    proof: StatementProof
    rows: list[dict[str, Any]] = field(default_factory=list)
    currencies: set[str] = field(default_factory=set)
    batch_gaps: int = 0


class _Reader:
    """One file's parse: entries become rows, statements are proved as they complete."""

    def __init__(self, path: Path, proofs: Proofs):
        self.path, self.proofs = path, proofs
        self.stream = CamtStream(self._entry, self._statement)
        self.rows: list[dict[str, Any]] = []
        self.statements: list[StatementProof] = []
        self.current: _Statement | None = None
        self.position = 0
        self.batch_gaps = 0

    def run(self) -> None:
        try:
            if self.path.stat().st_size == 0:
                raise RejectedFile(self.path, "file is empty")
            self.stream.run(self.path)
        except (ExpatError, ParseError) as err:
            raise RejectedFile(self.path, f"XML is not well-formed: {err}{_hint(err)}") from None
        except DefusedXmlException as err:
            raise RejectedFile(self.path, f"XML refused by defusedxml ({type(err).__name__}: "
                                          f"{err}); entity declarations and external references "
                                          "are not allowed") from None
        except LookupError as err:
            raise RejectedFile(self.path, f"XML declares an encoding Python does not know: "
                                          f"{err}") from None
        except NotCamt as err:
            raise RejectedFile(self.path, f"not a camt document: {err}") from None
        except OSError as err:
            raise RejectedFile(self.path, f"cannot read file: {err.strerror or err}") from None
        if not self.statements:
            raise RejectedFile(self.path, "the camt document holds no statement or notification "
                                          "(no Stmt/Ntfctn element)")
        read = sum(s.entries for s in self.statements)
        raw = self.stream.ntry.count
        if raw != read:  # comments, CDATA or other prefixes: count exactly before judging
            raw = NtryCounter.recount(self.path)
        self.proofs.entries_counted("<Ntry> elements", raw, read)

    def _entry(self, statement: Element, element: Element) -> None:
        current = self.current
        if current is None:
            current = self.current = _Statement(StatementProof(statement_id="?"))
        proof = current.proof
        seq = proof.entries + 1
        self.position += 1
        try:
            fields, details = read_entry(element)
            content = "\x1f".join(filter(None, map(str.strip, element.itertext())))
            amount, credit, booked, value_date, adds_up = entry_rows(
                fields, details, seq, self.position, content, current.rows)
        except BadValue as err:
            where = f"entry {seq} of statement {path_text(statement, 'Id') or '?'}"
            raise RejectedFile(self.path, str(err), where) from None
        current.currencies.add(current.rows[-1]["currency"])
        proof.add(amount, booked, credit, value_date)
        if not adds_up:
            current.batch_gaps += 1

    def _statement(self, element: Element) -> None:
        current = self.current or _Statement(StatementProof(statement_id="?"))
        self.current = None
        proof = current.proof
        try:
            mixed = _Header(element).apply(proof)
            for row in current.rows:
                row["account"] = proof.account
                row["statement_id"] = proof.statement_id
            proof.rows = len(current.rows)
            self._prove(element, current, mixed)
        except (BadValue, ValueError) as err:
            raise RejectedFile(self.path, str(err), f"statement {proof.statement_id}") from None
        self.batch_gaps += current.batch_gaps
        self.rows.extend(current.rows)
        self.statements.append(proof)

    def _prove(self, element: Element, current: _Statement, mixed: str | None) -> None:
        proof = current.proof
        if len(current.currencies) > 1:
            mixed = f"entries in several currencies ({', '.join(sorted(current.currencies))})"
        if mixed:
            self.proofs.fail(proof, f"statement {proof.statement_id}: {mixed}")
            return
        _check_summary(self.proofs, proof, child(element, "TxsSummry"))
        entries_in = next(iter(current.currencies), None)
        proof.currency = proof.currency or entries_in
        if entries_in and entries_in != proof.currency:
            self.proofs.fail(proof, f"statement {proof.statement_id}: the statement is in "
                                    f"{proof.currency} but its entries are in {entries_in}")
            return
        reason = "a notification carries no balances" if local(element.tag) == "Ntfctn" else None
        self.proofs.balance(proof, reason)

    def batch(self) -> Batch:
        ambiguous = assign_identity(self.rows)
        message = self.stream.message
        control = {
            "message": _message_version(message),
            "message_id": path_text(child(message, "GrpHdr"), "MsgId"),
            "statements": [s.summary() for s in self.statements],
            "entries": sum(s.entries for s in self.statements),
            "rows": len(self.rows),
            "balances_proved": sum(s.balance.startswith("proved") for s in self.statements),
            "batches_not_adding_up": self.batch_gaps,
            "ambiguous_references": ambiguous,
            **self.proofs.close(self.statements),
        }
        return Batch(format=control["message"], system=SourceSystem.BANK,
                     tables={"bank_transaction": self.rows}, control=control)


class _Header:
    """The statement's own fields: id, account, balances."""

    def __init__(self, element: Element):
        self.element = element
        self.balances: dict[str, tuple[Any, str, str | None]] = {}
        for part in element:
            if local(part.tag) == "Bal":
                self._balance(part)

    def _balance(self, element: Element) -> None:
        kind_of = child(child(element, "Tp"), "CdOrPrtry")
        kind = path_text(kind_of, "Cd") or path_text(kind_of, "Prtry")
        amount_element = child(element, "Amt")
        if kind in self.balances or amount_element is None:
            return
        amount = parse_amount(text(amount_element), f"balance {kind} Amt")
        currency = check_currency(amount_element.get("Ccy"), f"balance {kind} Ccy")
        if path_text(element, "CdtDbtInd") == "DBIT":
            amount = -amount
        day = child(element, "Dt")
        self.balances[kind] = (amount, currency, None if day is None or not len(day)
                               else text(day[0]))

    def apply(self, proof: StatementProof) -> str | None:
        """Fill the proof's id, account and balances; say so when the balances' currencies
        disagree (that is the statement not adding up, not a field we cannot read)."""
        element = self.element
        proof.statement_id = path_text(element, "Id") or path_text(element, "ElctrncSeqNb") or "?"
        account = child(element, "Acct")
        ident = child(account, "Id")
        proof.account = path_text(ident, "IBAN") or path_text(ident, "Othr", "Id")
        if proof.account is None:
            raise BadValue("the statement names no account (Acct/Id/IBAN or Acct/Id/Othr/Id)")
        opening = self.balances.get("OPBD") or self.balances.get("PRCD")
        closing = self.balances.get("CLBD")
        proof.currency = (opening or closing or (None, path_text(account, "Ccy")))[1]
        if opening:
            proof.opening = opening[0]
        if closing:
            proof.closing, proof.closing_date = closing[0], closing[2]
            if opening and closing[1] != opening[1]:
                return f"opening balance in {opening[1]} but closing balance in {closing[1]}"
        return None


def _check_summary(proofs: Proofs, proof: StatementProof, summary: Element | None) -> None:
    """``TxsSummry`` counts and gross sums must match; the net figure is only recorded because
    banks disagree on whether it includes pending entries and how reversals count."""
    if summary is None:
        return
    credits, debits = proof.credits, proof.debits
    stated = path_text(child(summary, "TtlNtries"), "NbOfNtries")
    n_cr, s_cr, n_db, s_db = proof.booked
    if stated is not None and int(stated) != proof.entries and int(stated) == n_cr + n_db:
        # a summary of the booked entries only: proved against those
        credits, debits = (n_cr, s_cr), (n_db, s_db)
        proof.checks.append("TxsSummry counts booked entries only")
    gross = credits[1] + debits[1]
    for part, found in (("TtlNtries", (credits[0] + debits[0], gross)),
                        ("TtlCdtNtries", credits), ("TtlDbtNtries", debits)):
        node = child(summary, part)
        number, total = path_text(node, "NbOfNtries"), path_text(node, "Sum")
        proofs.count(proof, f"{part}/NbOfNtries", None if number is None else int(number),
                     found[0])
        proofs.count(proof, f"{part}/Sum", None if total is None else parse_amount(total),
                     found[1])
    totals = child(summary, "TtlNtries")
    net = path_text(totals, "TtlNetNtry", "Amt") or path_text(totals, "TtlNetNtryAmt")
    if net is not None:
        proof.checks.append(f"TtlNetNtry stated {net} (recorded, not proved)")


def _hint(err: Exception) -> str:
    """What a parser message usually means for a bank file."""
    message = str(err)
    if "invalid token" in message:
        return " (bytes that do not match the declared encoding, or a corrupt file)"
    if "no element found" in message or "unclosed token" in message:
        return " (the file is truncated)"
    return ""


def _message_version(message: Element | None) -> str:
    if message is None:
        return "camt"
    namespace = message.tag.rpartition("}")[0]
    version = namespace.rpartition(":")[2]
    return version if version.startswith("camt.") else MESSAGES[local(message.tag)]
