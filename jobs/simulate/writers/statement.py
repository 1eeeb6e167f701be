"""What camt.053 and MT940 statements share: one statement per business day, balances chained.

A bank line may be produced days before its booking date (a payout announced, a payment run
executed tomorrow), so lines wait in a per-day queue until the day loop passes their date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jobs.simulate.calendar import YYMMDD


class BankLine:
    """One statement entry; ``details`` makes it a batch entry with several TxDtls."""

    __slots__ = ("amount", "booking", "value", "ref", "e2e", "name", "account", "text", "sref",
                 "family", "charges", "instructed", "details")

    def __init__(self, amount: int, booking: dt.date, value: dt.date, ref: str, e2e: str,
                 name: str, account: str, text: str, sref: str = "", family: str = "",
                 charges: int = 0, instructed: tuple | None = None, details: list | None = None):
        self.amount = amount            # signed minor units as booked: credit +, debit −
        self.booking, self.value = booking, value
        self.ref, self.e2e = ref, e2e   # AcctSvcrRef / MT940 bank reference; EndToEndId
        self.name, self.account = name, account
        self.text, self.sref = text, sref
        self.family = family or ("RCDT" if amount >= 0 else "ICDT")
        self.charges = charges          # minor units deducted by the bank (camt Chrgs)
        self.instructed = instructed    # (currency, minor, decimals, rate text) or None
        self.details = details          # [(signed minor, e2e, name, account, text)] or None


class StatementWriter:
    """Base: queues lines by booking date and emits each business day's statement in order."""

    suffix = ""

    def __init__(self, folder: Path, account, owner: str, open_days: list[dt.date],
                 offsets: dict[dt.date, str], opening: int, dec: int):
        self.folder, self.acct, self.owner = folder, account, owner
        self.open_days, self.offsets = open_days, offsets
        self.balance, self.dec = opening, dec
        self.pending: dict[dt.date, list[BankLine]] = {}
        self.files: dict[str, int] = {}
        self._next = 0          # index into open_days of the next statement to write
        self._seq = 0           # AcctSvcrRef counter
        self._fh = None
        self._file_key = None
        self._path = ""

    def next_ref(self, booking: dt.date) -> str:
        self._seq += 1
        return f"{self.acct.ref_prefix}{YYMMDD[booking]}{self._seq:08d}"

    def add(self, line: BankLine) -> None:
        if self._next < len(self.open_days) and line.booking < self.open_days[self._next]:
            raise AssertionError(f"{self.acct.key}: line booked {line.booking} after its statement")
        self.pending.setdefault(line.booking, []).append(line)

    def flush_through(self, day: dt.date) -> None:
        while self._next < len(self.open_days) and self.open_days[self._next] <= day:
            d = self.open_days[self._next]
            lines = self.pending.pop(d, [])
            key = self.file_key(d)
            if key != self._file_key:
                self._close_file()
                self._open_file(key, d)
            opening = self.balance
            self.balance += sum(ln.amount for ln in lines)
            self._fh.write(self.statement(d, self._next + 1, opening, self.balance, lines))
            self.files[self._path] += len(lines)
            self._next += 1

    def close(self) -> None:
        if self.pending:
            raise AssertionError(f"{self.acct.key}: lines left after the last statement: "
                                 f"{sorted(self.pending)}")
        self._close_file()

    # --- per format ---------------------------------------------------------------------
    def file_key(self, day: dt.date) -> str:
        raise NotImplementedError

    def header(self, key: str, day: dt.date) -> str:
        return ""

    def footer(self) -> str:
        return ""

    def statement(self, day: dt.date, seq: int, opening: int, closing: int,
                  lines: list[BankLine]) -> str:
        raise NotImplementedError

    def _open_file(self, key: str, day: dt.date) -> None:
        self._file_key = key
        name = f"{self.acct.key}_{key}{self.suffix}"
        self._path = f"bank/{name}"
        self.files[self._path] = 0
        self._fh = (self.folder / name).open("w", encoding="utf-8", newline="",
                                             buffering=1 << 20)
        self._fh.write(self.header(key, day))

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.write(self.footer())
            self._fh.close()
            self._fh = None
