"""SWIFT MT940 statements (and MT942 interim reports) read through the mt-940 package.

The library reads the fields with every opt-in fix switched on (``Options.all()``), trying the
bank dialects it ships (ASN's long ``:61:`` customer reference, then GLS) when the standard
layout does not fit. It is not trusted blindly: ``:61:`` lines are counted independently
(it silently drops lines it misreads, as the 2003 Rabobank layout shows), signs are recomputed
from the debit/credit mark (its defaults give a reversal of a credit a positive amount), and
every statement must satisfy opening ``:60:`` + lines ``:61:`` = closing ``:62:``.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mt940

from connectors.bank.mt940_rows import StatementRows
from connectors.bank.mt940_text import Statement, line_61, render, statements
from connectors.bank.proof import REJECT, Proofs, StatementProof
from connectors.bank.rows import assign_identity
from connectors.bank.values import BadValue, decode_text
from connectors.base import Batch, RejectedFile
from connectors.canonical import SourceSystem

OPTIONS = mt940.Options.all()
DIALECTS: tuple[tuple[str, dict[Any, Any] | None], ...] = (
    ("standard", None),
    ("ASN", {61: mt940.tags.StatementASNB()}),
    ("GLS", {61: mt940.tags.StatementGLS()}),
)
_BALANCE = re.compile(r"[CD]\d{6}[A-Z]{3}\d[\d,]*")
_LINE = re.compile(r"\d{6}(?:\d{4}|\s{4})?R?[CD][A-Z]?\n?\d[\d,]*", re.IGNORECASE)
_SNIFF_REF = re.compile(rb"(?m)(^|\{4:\s*):20:")
_SNIFF_BODY = re.compile(rb"(?m)^:(25|61|60F):")
BALANCE_TAGS = {"60F": "opening", "60M": "opening", "60": "opening", "62F": "closing",
                "62M": "closing", "62": "closing", "64": "available", "65": "forward available"}


class Mt940Connector:
    """Reads MT940/MT942 text into ``bank_transaction`` rows, proving every statement."""

    name = "mt940"
    system = SourceSystem.BANK

    def __init__(self, on_balance_mismatch: str = REJECT):
        self.on_balance_mismatch = on_balance_mismatch

    def sniff(self, head: bytes, path: Path) -> bool:
        """A ``:20:`` reference (bare or inside a ``{4:`` block) and an account, line or balance."""
        return bool(_SNIFF_REF.search(head) and _SNIFF_BODY.search(head))

    def read(self, path: Path) -> Batch:
        """Parse, check and return the file's rows; RejectedFile for anything untrustworthy."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
        if not data.strip():
            raise RejectedFile(path, "file is empty")
        try:
            found = statements(decode_text(data))
        except BadValue as err:
            raise RejectedFile(path, str(err)) from None
        if not found:
            raise RejectedFile(path, "no MT940 statement: no ':20:' transaction reference field "
                                     "(a fragment or not MT940)")
        reader = _Reader(path, Proofs(path, self.on_balance_mismatch))
        for statement in found:
            reader.statement(statement)
        return reader.batch()


class _Reader:
    def __init__(self, path: Path, proofs: Proofs):
        self.path, self.proofs = path, proofs
        self.rows: list[dict[str, Any]] = []
        self.proved: list[StatementProof] = []
        self.dialects: set[str] = set()
        self.interim = False
        self.signs_corrected = 0

    def statement(self, statement: Statement) -> None:
        where = f"statement at line {statement.line_no}"
        try:
            _validate(statement)
            parsed, dialect = _library(statement)
            reading = StatementRows(statement, parsed, len(self.rows))
            proof, rows = reading.read()
        except BadValue as err:
            raise RejectedFile(self.path, str(err), where) from None
        self.dialects.add(dialect)
        self.interim |= proof.balance == "interim"
        self.signs_corrected += reading.signs_corrected
        self._prove(parsed, proof)
        self.rows.extend(rows)
        self.proved.append(proof)

    def _prove(self, parsed: mt940.models.Transactions, proof: StatementProof) -> None:
        for tag, key in (("90D", "sum_debit_entries"), ("90C", "sum_credit_entries")):
            stated = parsed.data.get(key)
            if stated is None:
                continue
            side = proof.debits if tag == "90D" else proof.credits
            number = int(stated.number) if str(stated.number or "").isdigit() else None
            self.proofs.count(proof, f":{tag}: number of entries", number, side[0])
            self.proofs.count(proof, f":{tag}: sum of entries", abs(stated.amount), side[1])
        if proof.balance == "interim":
            proof.balance = "not provable: an MT942 interim report carries no balances"
            return
        self.proofs.balance(proof)

    def batch(self) -> Batch:
        ambiguous = assign_identity(self.rows)
        control = {
            "message": "MT942" if self.interim else "MT940",
            "dialects": sorted(self.dialects),
            "statements": [p.summary() for p in self.proved],
            "entries": len(self.rows), "rows": len(self.rows),
            "balances_proved": sum(p.balance == "proved" for p in self.proved),
            "signs_corrected": self.signs_corrected,
            "ambiguous_references": ambiguous,
            "problems": self.proofs.problems,
        }
        return Batch(format="mt940", system=SourceSystem.BANK,
                     tables={"bank_transaction": self.rows}, control=control)


def _validate(statement: Statement) -> None:
    """Balances and statement lines must have the shape the library expects; a clear message
    here beats the library's regular-expression dump."""
    for item in statement.fields:
        value = item.value.replace(".", ",") if item.tag in BALANCE_TAGS else item.value
        if item.tag in BALANCE_TAGS and not _BALANCE.fullmatch(value):
            raise BadValue(f"{BALANCE_TAGS[item.tag]} balance :{item.tag}:{item.value} is not a "
                           "valid balance (mark, YYMMDD, currency, amount)")
        if item.tag == "61" and not _LINE.match(line_61(item).replace(".", ",")):
            raise BadValue(f"statement line :61:{item.value[:40]} (line {item.line_no}) has no "
                           "valid date, debit/credit mark and amount")
    if statement.first("25") is None:
        raise BadValue("statement has no account identification (:25:)")


@contextmanager
def _quiet():
    """The library logs every failed pattern at ERROR; a dialect that does not fit is normal."""
    logger = logging.getLogger("mt940")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _library(statement: Statement) -> tuple[mt940.models.Transactions, str]:
    """Parse with the first dialect that reads every ``:61:`` line of the statement."""
    text = render(statement)
    expected = len(statement.all("61"))
    problem = ""
    for name, tags in DIALECTS:
        try:
            with _quiet():
                parsed = mt940.parse(text, tags=tags, options=OPTIONS)
        except Exception as err:  # noqa: BLE001 (malformed input raises untyped errors inside mt-940)
            problem = _library_error(err)
            continue
        if len(parsed) == expected:
            return parsed, name
        problem = f"mt-940 read {len(parsed)} statement lines but the statement has {expected}"
    raise BadValue(problem)


def _library_error(err: Exception) -> str:
    if isinstance(err, RuntimeError) and len(err.args) == 3:
        tag, value = err.args[1], err.args[2]
        return f"mt-940 cannot read :{tag.id}: {str(value)[:60]!r}"
    return f"mt-940 cannot read the statement: {type(err).__name__}: {err}"
