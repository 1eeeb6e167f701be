"""SWIFT MT940 statements (and MT942 interim reports) read through the mt-940 package.

The library reads the fields with every opt-in fix switched on (``Options.all()``), trying the
bank dialects it ships (ASN's long ``:61:`` customer reference, then GLS) when the standard
layout does not fit. A plain statement's ``:61:`` lines are read as the standard dialect
reads them but without its per-line cost (see :mod:`connectors.bank.mt940_lines`), any other
by the library itself. It is not trusted blindly (see :mod:`connectors.bank.proof`): the
``:61:`` lines of the raw text are counted independently (it silently drops lines it
misreads, as the 2003 Rabobank layout shows) and each amount is read again from its line,
signs are recomputed from the debit/credit mark (its defaults give a reversal of a credit a
positive amount), and every statement must satisfy opening ``:60:`` + lines ``:61:`` =
closing ``:62:``.

Read leniently, always with a problem in the control figures: a statement without an opening
or closing balance, or with one that cannot be read (not provable); a closing balance without
a currency (read in the opening balance's); a ``:64:``/``:65:`` available balance that cannot
be read (informational: ignored); a balance tag without its colon; fields after the end of a
statement (reported, not read); sums in ``:90D:``/``:90C:`` that the entries contradict when
their number agrees and every amount is confirmed from the raw line.
"""

from __future__ import annotations

import gc
import logging
import re
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import mt940

from connectors.bank.mt940_lines import OPTIONS, Parsed, standard
from connectors.bank.mt940_rows import StatementRows
from connectors.bank.mt940_text import Field, Statement, cut, joined, line_61, render
from connectors.bank.proof import DEFAULT, Proofs, StatementProof
from connectors.bank.rows import assign_identity
from connectors.bank.values import BadValue, decode_text
from connectors.base import Batch, RejectedFile
from connectors.canonical import SourceSystem

DIALECTS: tuple[tuple[str, dict[Any, Any] | None], ...] = (
    ("standard", None),
    ("ASN", {61: mt940.tags.StatementASNB()}),
    ("GLS", {61: mt940.tags.StatementGLS()}),
)
_BALANCE = re.compile(r"[CD]\d{6}[A-Z]{3}\d[\d,]*")
_NO_CURRENCY = re.compile(r"([CD]\d{6})(\d[\d,]*)")
#: A ``:61:`` line's date, debit/credit mark and amount (read here, independently of mt-940).
_LINE_AMOUNT = re.compile(r"\d{6}(?:\d{4}|\s{4})?R?[CD][A-Z]?\n?(\d[\d,.]*)", re.IGNORECASE)
#: ``:61:`` at a line start (or after ``{4:``), its colon possibly missing: counted in the raw
#: text, independently of how the fields are cut (see :func:`_raw_61`).
_RAW_61 = re.compile(r"\n[ \t]*:61(?::|(?=\d))")
_RAW_61_BLOCK = re.compile(r"\{4:[ \t]*:61(?::|(?=\d))")
_SNIFF_REF = re.compile(rb"(?m)(^|\{4:\s*):20:")
_SNIFF_BODY = re.compile(rb"(?m)^:(25|61|60F):")
BALANCE_NAMES = {"60": "opening", "62": "closing", "64": "closing available",
                 "65": "forward available"}


class Mt940Connector:
    """Reads MT940/MT942 text into ``bank_transaction`` rows, proving every statement."""

    name = "mt940"
    system = SourceSystem.BANK

    def __init__(self, on_balance_mismatch: str = DEFAULT):
        Proofs("", on_balance_mismatch)  # refuses an unknown policy now, not at the first read
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
        enabled = gc.isenabled()
        gc.disable()  # by choice, as camt: a parse allocates many acyclic objects; gc adds ~15%
        try:
            return self._parse(path, data)
        finally:
            if enabled:
                gc.enable()

    def _parse(self, path: Path, data: bytes) -> Batch:
        try:
            text = decode_text(data)
            found, orphans = cut(text)
        except BadValue as err:
            raise RejectedFile(path, str(err)) from None
        reader = _Reader(path, Proofs(path, self.on_balance_mismatch))
        for statement in found:
            reader.statement(statement)
        if not reader.proved:
            raise RejectedFile(path, "no MT940 statement: no ':20:' transaction reference field "
                                     "(a fragment or not MT940)")
        reader.orphans(orphans)
        reader.proofs.entries_counted(":61: statement lines", _raw_61(text),
                                      len(reader.rows), unread=reader.unread)
        return reader.batch()


def _raw_61(text: str) -> int:
    """The ``:61:`` lines of the raw text. Two patterns that start with a literal are searched
    several times faster than one that starts with ``^`` (a text start counts as a line start)."""
    return len(_RAW_61.findall("\n" + text)) + len(_RAW_61_BLOCK.findall(text))


class _Reader:
    def __init__(self, path: Path, proofs: Proofs):
        self.path, self.proofs = path, proofs
        self.rows: list[dict[str, Any]] = []
        self.proved: list[StatementProof] = []
        self.dialects: set[str] = set()
        self.interim = False
        self.signs_corrected = 0
        self.unread = 0

    def statement(self, statement: Statement) -> None:
        where = f"statement at line {statement.line_no}"
        try:
            entries = statement.transactions()
            lines_61 = [line_61(line) for line, _ in entries]
            written = [_written(text) for text in lines_61]
            notes = _prepare(statement, written)
            parsed, dialect = _library(statement, lines_61)
            reading = StatementRows(statement, parsed, len(self.rows))
            proof, rows = reading.read(entries, lines_61)
            _confirm_amounts(entries, written, rows)
        except BadValue as err:
            raise RejectedFile(self.path, str(err), where) from None
        for note, incomplete in notes:
            self.proofs.note(f"statement {proof.statement_id}: {note}", incomplete)
        self.dialects.add(dialect)
        self.interim |= proof.balance == "interim"
        self.signs_corrected += reading.signs_corrected
        self._prove(parsed, proof)
        self.rows.extend(rows)
        self.proved.append(proof)

    def _prove(self, parsed: Parsed, proof: StatementProof) -> None:
        interim = proof.balance == "interim"
        if interim:
            proof.balance = "not provable: an MT942 interim report carries no balances"
        for tag, key in (("90D", "sum_debit_entries"), ("90C", "sum_credit_entries")):
            stated = parsed.data.get(key)
            if stated is None:
                continue
            side = proof.debits if tag == "90D" else proof.credits
            number = int(stated.number) if str(stated.number or "").isdigit() else None
            self.proofs.count(proof, f":{tag}: number of entries", number, side[0])
            total = abs(stated.amount.amount if hasattr(stated.amount, "amount")
                        else stated.amount)
            if number is not None and total != side[1]:
                # Every line is counted in the raw text and its amount read twice, and the
                # number of entries agrees: the stated sum is the file's own inconsistency.
                self.proofs.fail(proof, f"statement {proof.statement_id}: :{tag}: sum of "
                                        f"entries: file states {total:f} but the {number} "
                                        f"entries read add up to {side[1]:f}")
                continue
            self.proofs.count(proof, f":{tag}: sum of entries", total, side[1])
        if not interim:
            self.proofs.balance(proof)

    def orphans(self, fields: list[Field]) -> None:
        """Fields outside any statement: reported, not read (their account is unknown)."""
        for item in fields:
            self.unread += item.tag == "61"
            self.proofs.note(f"line {item.line_no}: :{item.tag}:{' '.join(item.lines)[:60]} "
                             "is outside any statement (after the '-' that ends one and before "
                             "the next :20:): not read")

    def batch(self) -> Batch:
        ambiguous = assign_identity(self.rows)
        control = {
            "message": "MT942" if self.interim else "MT940",
            "dialects": sorted(self.dialects),
            "statements": [p.summary() for p in self.proved],
            "entries": len(self.rows), "rows": len(self.rows),
            "balances_proved": sum(p.balance.startswith("proved") for p in self.proved),
            "signs_corrected": self.signs_corrected,
            "ambiguous_references": ambiguous,
            **self.proofs.close(self.proved),
        }
        return Batch(format="mt940", system=SourceSystem.BANK,
                     tables={"bank_transaction": self.rows}, control=control)


def _prepare(statement: Statement, written: list[str | None]) -> list[tuple[str, bool]]:
    """Check the fields the library reads, and decide what to make of those that cannot be
    read as written: a clear message here beats the library's regular-expression dump.
    ``written`` holds the amount of each ``:61:`` (see :func:`_written`).

    Returns the notes for the problems list (and whether each leaves the balance unproved).
    """
    notes = [(item.note, False) for item in statement.fields if item.note]
    currencies = {item.value.replace(".", ",")[7:10] for item in statement.fields
                  if item.tag[:2] in ("60", "62") and _BALANCE.fullmatch(
                      item.value.replace(".", ","))}
    amounts = iter(written)
    for item in statement.fields:
        if item.tag[:2] in BALANCE_NAMES and item.tag[2:] in ("", "F", "M"):
            notes.extend(_balance(item, currencies))
        elif item.tag == "61" and next(amounts) is None:
            raise BadValue(f"statement line :61:{item.value[:40]} (line {item.line_no}) has no "
                           "valid date, debit/credit mark and amount")
    if statement.first("25") is None:
        raise BadValue("statement has no account identification (:25:)")
    return notes


def _balance(item: Field, currencies: set[str]) -> list[tuple[str, bool]]:
    value = item.value.replace(".", ",")
    if _BALANCE.fullmatch(value):
        return []
    name = BALANCE_NAMES[item.tag[:2]]
    bare = _NO_CURRENCY.fullmatch(value)
    if bare and item.tag[:2] in ("60", "62") and len(currencies) == 1:
        (currency,) = currencies
        item.lines = [f"{bare.group(1)}{currency}{item.value[7:]}"]
        return [(f"{name} balance :{item.tag}:{value} states no currency: read in {currency}, "
                 "the currency of the statement's other balance", False)]
    item.ignored = True
    if item.tag[:2] in ("64", "65"):
        return [(f"{name} balance :{item.tag}:{item.value} is not a valid balance (mark, "
                 "YYMMDD, currency, amount): ignored, it is informational", False)]
    return [(f"{name} balance :{item.tag}:{item.value} is not a valid balance (mark, YYMMDD, "
             "currency, amount): ignored", True)]


def _written(line_61: str) -> str | None:
    """The amount written in a ``:61:`` line; None when it has no valid date, mark and amount."""
    found = _LINE_AMOUNT.match(line_61)
    return found.group(1) if found else None


def _confirm_amounts(entries: list[tuple[Field, list[Field]]], written: list[str | None],
                     rows: list[dict[str, Any]]) -> None:
    """Each amount the library read must be the one written in its ``:61:`` line."""
    for seq, ((line, _), text, row) in enumerate(zip(entries, written, rows, strict=True),
                                                 start=1):
        text = text or ""
        try:
            amount = Decimal(text.replace(",", ".") if "," in text else text)
        except InvalidOperation:
            amount = None
        if amount is None or amount != abs(row["amount"]):
            raise BadValue(f"statement line {seq} (line {line.line_no}): mt-940 read "
                           f"{abs(row['amount']):f} but the line says {text!r}")


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


def _library(statement: Statement, lines_61: list[str]) -> tuple[Parsed, str]:
    """Parse with the first dialect that reads every ``:61:`` line of the statement: the
    standard one line by line where that is sure to give the library's result (see
    :mod:`connectors.bank.mt940_lines`), else the library on the whole statement."""
    fields = render(statement, lines_61)
    with _quiet():
        fast = standard(fields)
    if fast is not None:
        return fast, "standard"
    text = joined(fields)
    expected = len(lines_61)
    problem = ""
    for name, tags in DIALECTS:
        try:
            with _quiet():
                parsed = mt940.parse(text, tags=tags, options=OPTIONS)
        except Exception as err:  # noqa: BLE001 (malformed input raises untyped errors inside mt-940)
            problem = _library_error(err)
            continue
        if len(parsed) == expected:
            return Parsed.of(parsed), name
        problem = f"mt-940 read {len(parsed)} statement lines but the statement has {expected}"
    raise BadValue(problem)


def _library_error(err: Exception) -> str:
    if isinstance(err, RuntimeError) and len(err.args) == 3:
        tag, value = err.args[1], err.args[2]
        return f"mt-940 cannot read :{tag.id}: {str(value)[:60]!r}"
    return f"mt-940 cannot read the statement: {type(err).__name__}: {err}"
