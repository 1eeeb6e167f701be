"""One partition's generation state: its random stream, writers, counters and pickers.

A partition owns some entities outright (their bank accounts, ERP file, Stripe account and
procurement files), so partitions never write the same file and can run in parallel.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from random import Random

from jobs.simulate.enterprise import ACCOUNT_RANGES, ALNUM_TABLE, Enterprise
from jobs.simulate.money import decimals
from jobs.simulate.plan import B2L, BIL, P2P, PRIMARY, Picker, PlantRates, spread
from jobs.simulate.truth import TruthWriter
from jobs.simulate.writers.camt053 import CamtWriter
from jobs.simulate.writers.coupa import JsonArray
from jobs.simulate.writers.erp_csv import ErpWriter
from jobs.simulate.writers.mt940 import Mt940Writer
from jobs.simulate.writers.stripe import StripeList

STRIPE_KINDS = ("charges", "refunds", "payouts", "balance_transactions", "invoices")
COUPA_KINDS = ("purchase_orders", "receipts", "invoices")


class AccountInfo:
    """What the bank scenarios need about one account, looked up once."""

    def __init__(self, ent: Enterprise, acct, writer):
        self.acct, self.writer = acct, writer
        self.cc = acct.company_code
        self.cal = ent.calendar(self.cc)
        self.dec = decimals(acct.currency)
        self.lo, self.hi = ACCOUNT_RANGES[acct.currency]
        self.payers = ent.payers[self.cc]
        self.fuzzy_used: set[int] = set()


class Ctx:
    def __init__(self, ent: Enterprise, codes: tuple[str, ...], out: Path, rates: PlantRates,
                 settlement_days: dict[str, int]):
        self.ent, self.codes, self.out = ent, codes, out
        self.as_of, self.start = ent.as_of, ent.start
        self.window = settlement_days
        self.rng = Random(f"{ent.seed}:{'+'.join(codes)}")
        self._random = self.rng.random
        self.tag = "".join(c[0] for c in codes)
        self.truth = TruthWriter(out / f".truth-{self.tag}.csv", ent.as_of, settlement_days)
        self.erp = ErpWriter(out / "erp", {c: ent.entities[c] for c in codes}, ent.offsets)
        self.accounts: dict[str, AccountInfo] = {}
        for a in ent.accounts:
            if a.company_code in codes:
                self.accounts[a.key] = AccountInfo(ent, a, self._statement_writer(a))
        self.unmapped = [i for i in self.accounts.values() if not i.acct.mapped]
        self.stripe = {c: {k: StripeList(out / "billing", c, k) for k in STRIPE_KINDS}
                       for c in codes if ent.entities[c].stripe}
        self.coupa = {c: {k: JsonArray(out / "procurement", f"coupa_{c}_{k}.json")
                          for k in COUPA_KINDS} for c in codes}
        days = len(ent.days)
        vol = ent.volumes
        events = {B2L: sum(n for k, n in vol.bank.items() if k[:4] in codes),
                  BIL: sum(vol.charges[c] for c in codes), P2P: sum(vol.chains[c] for c in codes)}
        self.pickers = {wf: Picker(self.rng, rates.of(wf), PRIMARY[wf], settlement_days[wf], days,
                                   events[wf]) for wf in (B2L, BIL, P2P)}
        self._counters: dict[str, int] = {}
        self._key = 0

    def _statement_writer(self, a):
        ent = self.ent
        cal = ent.calendar(a.company_code)
        cls = CamtWriter if a.camt else Mt940Writer
        return cls(self.out / "bank", a, ent.entities[a.company_code].name,
                   cal.open_days(ent.start, ent.as_of), ent.offsets[a.company_code],
                   ent.openings[a.key], decimals(a.currency))

    # --- identifiers ------------------------------------------------------------------------
    def key(self) -> str:
        """A match_key shared by the records of one true group (or one identified pair)."""
        self._key += 1
        return f"{self.tag}{self._key:08d}"

    def count(self, name: str) -> int:
        n = self._counters.get(name, 0) + 1
        self._counters[name] = n
        return n

    def invoice_ref(self, cc: str) -> str:
        return f"INV-{cc}-{self.count('inv' + cc):07d}"

    def payment_ref(self, cc: str) -> str:
        return f"PAY-{cc}-{self.count('pay' + cc):07d}"

    def stripe_id(self, prefix: str) -> str:
        return prefix + "1" + self.rng.randbytes(23).translate(ALNUM_TABLE).decode("ascii")

    def rotate(self, name: str, options: tuple | list):
        """Cycle through the variants of a scenario, so each appears as soon as possible."""
        return options[(self.count("rot" + name) - 1) % len(options)]

    def minute(self) -> int:
        return 420 + int(self._random() * 720)

    # by choice: random() arithmetic instead of choice()/randint(), several times cheaper
    def pick(self, seq):
        return seq[int(self._random() * len(seq))]

    def ri(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    # --- volumes ----------------------------------------------------------------------------
    def daily(self, total: int, weight) -> list[int]:
        return spread(total, [weight(d) for d in self.ent.days])

    def age(self, day: dt.date) -> int:
        return (self.as_of - day).days

    # --- end ------------------------------------------------------------------------------
    def files(self) -> dict[str, int]:
        out: dict[str, int] = dict(self.erp.files)
        for info in self.accounts.values():
            out.update(info.writer.files)
        for lists in (*self.stripe.values(), *self.coupa.values()):
            for w in lists.values():
                out.update(w.files)
        return out

    def close(self) -> None:
        for info in self.accounts.values():
            info.writer.close()
        for lists in (*self.stripe.values(), *self.coupa.values()):
            for w in lists.values():
                w.close()
        self.erp.close()
        self.truth.close()
