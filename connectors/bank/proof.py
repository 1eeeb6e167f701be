"""Statement proofs: what a reader produced must add up to the figures the file states itself.

Every bank reader keeps one :class:`StatementProof` per statement (or BAI2 account section),
adds each entry's signed amount, and lets :class:`Proofs` check opening + movements = closing
and the counts and totals stated by trailers. Two kinds of disagreement are told apart:

* **Our loss.** The entries read must equal an independent count of the file's raw text
  (``<Ntry>`` tags, ``:61:`` lines, BAI2 ``16`` records), and every stated count and control
  total must match what was read. A difference means records were lost or invented in reading:
  the file is rejected, whatever the policy.
* **The source's inconsistency.** Once the count is proved, a balance that does not add up
  (or a stated sum that the proved entries contradict) is the file's own inconsistency. Under
  the default policy ``counted`` the file is accepted, the statement is listed in ``problems``
  with the figures and ``balance_proved`` is False; without a count proof it is rejected.
  ``reject`` rejects every mismatch (strict); ``flag`` accepts every mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import RejectedFile

COUNTED = "counted"
REJECT = "reject"
FLAG = "flag"
POLICIES = (COUNTED, REJECT, FLAG)
DEFAULT = COUNTED

ZERO = Decimal(0)


def money(value: Decimal | None) -> str | None:
    """A decimal as plain text for messages and control figures (never scientific notation)."""
    return None if value is None else f"{value:f}"


@dataclass
class StatementProof:
    """Running figures of one statement: entries read, booked movements, stated balances."""

    statement_id: str
    account: str | None = None
    currency: str | None = None
    opening: Decimal | None = None
    closing: Decimal | None = None
    closing_date: str | None = None
    movements: Decimal = ZERO
    entries: int = 0
    rows: int = 0
    credits: tuple[int, Decimal] = (0, ZERO)
    debits: tuple[int, Decimal] = (0, ZERO)
    # the same tallies over booked entries only: banks disagree on whether a statement's
    # summary counts its pending entries
    booked: tuple[int, Decimal, int, Decimal] = (0, ZERO, 0, ZERO)
    balance: str = "not checked"
    checks: list[str] = field(default_factory=list)
    by_value_date: dict[str, Decimal] = field(default_factory=dict)

    def add(self, amount: Decimal, booked: bool = True, credit: bool | None = None,
            value_date: str | None = None) -> None:
        """Count one signed entry; only booked entries move the booked balance.

        ``credit`` says on which side a zero amount counts (the sign cannot tell);
        ``value_date`` lets a value-dated closing balance be proved (see :meth:`Proofs.balance`).
        """
        self.entries += 1
        if booked:
            self.movements += amount
            if value_date:
                day = value_date[:10]
                self.by_value_date[day] = self.by_value_date.get(day, ZERO) + amount
        is_credit = credit if credit is not None else amount >= 0
        if is_credit:
            self.credits = (self.credits[0] + 1, self.credits[1] + abs(amount))
        else:
            self.debits = (self.debits[0] + 1, self.debits[1] + abs(amount))
        if booked:
            n_cr, s_cr, n_db, s_db = self.booked
            self.booked = ((n_cr + 1, s_cr + abs(amount), n_db, s_db) if is_credit
                           else (n_cr, s_cr, n_db + 1, s_db + abs(amount)))

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for ``Batch.control``."""
        return {
            "statement_id": self.statement_id, "account": self.account,
            "currency": self.currency, "entries": self.entries, "rows": self.rows,
            "opening": money(self.opening), "movements": money(self.movements),
            "closing": money(self.closing), "balance": self.balance, "checks": self.checks,
        }


class Proofs:
    """Checks statements of one file and decides what a failed check does.

    Balance mismatches found before the file's entry count is known wait for :meth:`close`,
    which rejects them under ``counted`` unless :meth:`entries_counted` proved the count.
    """

    def __init__(self, path: Path | str, on_balance_mismatch: str = DEFAULT):
        if on_balance_mismatch not in POLICIES:
            raise ValueError(f"on_balance_mismatch must be one of {POLICIES}")
        self.path = path
        self.policy = on_balance_mismatch
        self.problems: list[str] = []
        self.mismatches: list[tuple[str | None, str]] = []
        self.counted: str | None = None
        """What proved the entry count (``"39 :61: lines"``), None while unproved."""
        self.incomplete = False
        """A statement whose balances the file leaves incomplete or unreadable."""

    def entries_counted(self, what: str, raw: int, read: int, unread: int = 0) -> None:
        """The entries read (plus those reported as not read) must be every entry the raw text
        holds, counted independently of the reader; otherwise records were lost: rejected."""
        if raw != read + unread:
            also = f" and {unread} reported as not read" if unread else ""
            raise RejectedFile(self.path, f"the file holds {raw} {what} but {read} entries "
                                          f"were read{also}: entries were lost or invented "
                                          "in reading")
        self.counted = f"{raw} {what}"

    def balance(self, proof: StatementProof, no_balance_reason: str | None = None) -> None:
        """Check opening + booked movements = closing, or record why it cannot be checked.

        ``no_balance_reason`` is given where the format carries no balances by design; any
        other missing balance is a problem of the file, reported.
        """
        if proof.opening is None or proof.closing is None:
            if no_balance_reason:
                proof.balance = "not provable: " + no_balance_reason
                return
            missing = " and ".join(n for n, v in (("opening", proof.opening),
                                                  ("closing", proof.closing)) if v is None)
            proof.balance = f"not provable: no {missing} balance"
            self.note(f"statement {proof.statement_id}: no {missing} balance, so its balance "
                      "cannot be proved", incomplete=True)
            return
        expected = proof.opening + proof.movements
        if expected == proof.closing:
            proof.balance = "proved"
            return
        if self._value_dated(proof):
            return
        self.fail(proof, f"statement {proof.statement_id}: opening {money(proof.opening)} + "
                         f"movements {money(proof.movements)} = {money(expected)} but closing "
                         f"balance is {money(proof.closing)}")

    def _value_dated(self, proof: StatementProof) -> bool:
        """Some banks (PostFinance) state a closing balance that leaves out entries valued after
        the balance date; such a statement is proved on value dates, and says so."""
        if not proof.closing_date or not proof.by_value_date or proof.opening is None:
            return False
        day = proof.closing_date[:10]
        later = sum((v for d, v in proof.by_value_date.items() if d > day), ZERO)
        if not later or proof.opening + proof.movements - later != proof.closing:
            return False
        proof.balance = (f"proved on value dates: entries valued after {day} "
                         f"({money(later)}) are not yet in the closing balance")
        return True

    def fail(self, proof: StatementProof | None, problem: str) -> None:
        """Figures of the file that disagree among themselves while no record is lost (a
        balance, a miscount): rejected under ``reject``, else recorded (and, under
        ``counted``, rejected at :meth:`close` unless the entry count is proved)."""
        record = None if proof is None else f"statement {proof.statement_id}"
        if self.policy == REJECT:
            raise RejectedFile(self.path, problem, record)
        if proof is not None:
            proof.balance = "MISMATCH: " + problem
        self.problems.append(problem)
        self.mismatches.append((record, problem))

    def note(self, problem: str, incomplete: bool = False) -> None:
        """Something read leniently (a missing balance, an ignored informational field);
        under ``reject`` nothing is read leniently."""
        if self.policy == REJECT:
            raise RejectedFile(self.path, problem)
        self.problems.append(problem)
        self.incomplete |= incomplete

    def count(self, proof: StatementProof | None, what: str, stated: Any, found: Any) -> None:
        """A stated count or total must equal what was read; otherwise the file is rejected."""
        if stated is None:
            return
        where = f"statement {proof.statement_id}: " if proof else ""
        if stated != found:
            problem = f"{where}{what}: file states {_fmt(stated)} but {_fmt(found)} were read"
            record = f"statement {proof.statement_id}" if proof else None
            raise RejectedFile(self.path, problem, record)
        if proof is not None:
            proof.checks.append(f"{what} = {_fmt(stated)}")

    def close(self, statements: list[StatementProof]) -> dict[str, Any]:
        """Decide pending mismatches and return the proof's control figures.

        ``balance_proved`` is True when every statement's balance was proved, False when one
        disagrees or is incomplete, None when the format carries no balances to prove.
        """
        if self.mismatches and self.policy == COUNTED and self.counted is None:
            record, problem = self.mismatches[0]
            raise RejectedFile(self.path, f"{problem} (and no independent count of the file's "
                                          "entries proves that none was lost in reading)",
                               record)
        if self.mismatches or self.incomplete:
            proved: bool | None = False
        elif any(s.balance.startswith("proved") for s in statements):
            proved = True
        else:
            proved = None
        return {"balance_proved": proved, "entries_counted": self.counted,
                "problems": self.problems}


def _fmt(value: Any) -> str:
    return money(value) if isinstance(value, Decimal) else str(value)
