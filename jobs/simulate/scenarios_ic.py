"""intercompany: entity A recharges entity B; A books a receivable, B a payable.

A's line: GL 135000, trading_partner = B, +amount in A's currency, reference = IC invoice number.
B's line: GL 235000, trading_partner = A, −(A's amount converted at the fx_rates.csv rate of A's
posting date, rounded half up to B's decimals), same reference, posted 0-3 business days later.

Both partitions replay the same stream (its own random generator and number ranges) and each
writes only the side of the entities it owns, so a pair spanning two partitions stays coherent.
"""

from __future__ import annotations

import datetime as dt
from random import Random

from jobs.simulate import money
from jobs.simulate.context import Ctx
from jobs.simulate.enterprise import ACCOUNT_RANGES, Enterprise
from jobs.simulate.plan import IC, PRIMARY, Picker, PlantRates, spread
from jobs.simulate.writers.erp_csv import IC_RANGE, line

DIRECTIONS = (("DE01", "US01", 4), ("DE01", "JP01", 2), ("DE01", "GB01", 2), ("US01", "JP01", 2),
              ("GB01", "US01", 1))
AR_IC, AP_IC, REVENUE, EXPENSE = "135000", "235000", "480000", "680000"


class IcStream:
    def __init__(self, ent: Enterprise, rates: PlantRates, settlement_days: dict[str, int]):
        self.ent = ent
        self.rng = Random(f"{ent.seed}:intercompany")
        self.picker = Picker(self.rng, rates.of(IC), PRIMARY[IC], settlement_days[IC],
                             len(ent.days), ent.volumes.ic_pairs)
        self.counts = spread(ent.volumes.ic_pairs, [1.0 if d.weekday() < 5 else 0 for d in ent.days])
        self.weights = [w for _, _, w in DIRECTIONS]
        self.docs: dict[str, int] = {}
        self.refs: dict[str, int] = {}
        self.keys = 0

    def _next(self, table: dict[str, int], cc: str) -> int:
        table[cc] = table.get(cc, 0) + 1
        return table[cc]

    def run(self, ctx: Ctx, i: int, day: dt.date) -> None:
        for _ in range(self.counts[i]):
            self._pair(ctx, day)

    def _pair(self, ctx: Ctx, day: dt.date) -> None:
        """Draw everything first, then write: the stream must not depend on who writes."""
        rng, ent, as_of = self.rng, self.ent, self.ent.as_of
        a, b, _ = rng.choices(DIRECTIONS, self.weights)[0]
        scenario = self.picker.pick((as_of - day).days)
        ea, eb = ent.entities[a], ent.entities[b]
        pa = ent.calendar(a).on_or_after(day)
        if pa > as_of:
            return
        pb = ent.calendar(b).add(pa, rng.choice((0, 0, 1, 2, 3)))
        dec_a, dec_b = money.decimals(ea.currency), money.decimals(eb.currency)
        amount_a = money.draw(rng, *ACCOUNT_RANGES[ea.currency], dec_a)
        amount_b = money.convert(amount_a, dec_a, ent.fx[(ea.currency, eb.currency)][pa], dec_b)
        if scenario == "intercompany_imbalance":
            off = (0.025 + 0.125 * rng.random()) * rng.choice((-1, 1))
            amount_b = int(amount_b * (1 + off))
        ref = f"IC-{a}-{self._next(self.refs, a):07d}"
        minutes = rng.randrange(420, 1140), rng.randrange(420, 1140)
        doc_a, doc_b = self._next(self.docs, a), self._next(self.docs, b)
        alone = scenario in ("timing_difference", "missing_counterpart") or pb > as_of
        only_a = pb > as_of or rng.random() < 0.5
        self.keys += 1
        key = f"IC{self.keys:08d}"
        write_a, write_b = a in ctx.codes, b in ctx.codes
        if not (write_a or write_b):
            return
        t = ctx.truth
        if write_a and (not alone or only_a):
            ref_a = ctx.erp.post(a, "SA", pa, pa, [
                line(AR_IC, "S", amount_a, ref, text=f"IC recharge {b}", tp=b),
                line(REVENUE, "S", -amount_a, text=f"IC revenue {b}")],
                minutes[0], docno=str(IC_RANGE + doc_a))[0]
            self._truth(t, ref_a, key, scenario, alone, pa)
        if write_b and (not alone or not only_a):
            ref_b = ctx.erp.post(b, "SA", pb, pa, [
                line(AP_IC, "S", -amount_b, ref, text=f"IC recharge {a}", tp=a),
                line(EXPENSE, "S", amount_b, text=f"IC expense {a}")],
                minutes[1], docno=str(IC_RANGE + doc_b))[0]
            self._truth(t, ref_b, key, scenario, alone, pb)

    @staticmethod
    def _truth(t, ref: str, key: str, scenario: str, alone: bool, posted: dt.date) -> None:
        if alone:
            t.alone("erp", ref, IC, posted)
        elif scenario == "intercompany_imbalance":
            t.exception("erp", ref, IC, scenario, key)
        else:
            t.match("erp", ref, IC, key, "intercompany_pair")
