"""Statement proofs: what a reader produced must add up to the figures the file states itself.

Every bank reader keeps one :class:`StatementProof` per statement (or BAI2 account section),
adds each entry's signed amount, and lets :class:`Proofs` check opening + movements = closing
and the counts and totals stated by trailers. A mismatch means the file, or our reading of it,
cannot be trusted: the file is rejected with the figures in the message, unless the connector
was configured to ``flag`` balance mismatches, in which case the mismatch is recorded in the
batch's control figures instead (counts and control totals always reject: they reveal lost or
invented records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.base import RejectedFile

REJECT = "reject"
FLAG = "flag"
POLICIES = (REJECT, FLAG)

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
        if credit if credit is not None else amount >= 0:
            self.credits = (self.credits[0] + 1, self.credits[1] + abs(amount))
        else:
            self.debits = (self.debits[0] + 1, self.debits[1] + abs(amount))

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures for ``Batch.control``."""
        return {
            "statement_id": self.statement_id, "account": self.account,
            "currency": self.currency, "entries": self.entries, "rows": self.rows,
            "opening": money(self.opening), "movements": money(self.movements),
            "closing": money(self.closing), "balance": self.balance, "checks": self.checks,
        }


class Proofs:
    """Checks statements of one file and decides what a failed check does."""

    def __init__(self, path: Path | str, on_balance_mismatch: str = REJECT):
        if on_balance_mismatch not in POLICIES:
            raise ValueError(f"on_balance_mismatch must be one of {POLICIES}")
        self.path = path
        self.policy = on_balance_mismatch
        self.problems: list[str] = []

    def balance(self, proof: StatementProof, no_balance_reason: str | None = None) -> None:
        """Check opening + booked movements = closing, or record why it cannot be checked."""
        if proof.opening is None or proof.closing is None:
            missing = "opening" if proof.opening is None else "closing"
            proof.balance = "not provable: " + (no_balance_reason or f"no {missing} balance")
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

    def fail(self, proof: StatementProof, problem: str) -> None:
        """A statement that does not add up: rejected, or recorded when the policy is flag."""
        if self.policy == REJECT:
            raise RejectedFile(self.path, problem, f"statement {proof.statement_id}")
        proof.balance = "MISMATCH: " + problem
        self.problems.append(problem)

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


def _fmt(value: Any) -> str:
    return money(value) if isinstance(value, Decimal) else str(value)
