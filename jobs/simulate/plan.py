"""How much of what: the plant rates, the volumes per workflow, and who gets which scenario.

Scenarios are dealt by a deterministic schedule rather than independent coin flips, so a
3 000-record run already carries every cause and kind its rates promise (and a 1M run carries
them at exactly those rates); the schedule's phase is random, so they land on random records.
"""

from __future__ import annotations

import dataclasses
import heapq
from dataclasses import dataclass, field
from random import Random

from connectors.canonical import Cause, Workflow

B2L, BIL, P2P, IC = (w.value for w in Workflow)
TIMING, MISSING = Cause.TIMING_DIFFERENCE.value, Cause.MISSING_COUNTERPART.value

PRIMARY = {B2L: "exact_reference", BIL: "exact_reference", P2P: "three_way_po",
           IC: "intercompany_pair"}
SCENARIOS = {
    B2L: ("source_system_defect", "duplicate_submission", "mapping_error", "amount_variance",
          TIMING, MISSING, "reference_in_text", "fuzzy_name", "batch_payment", "amount_tolerance"),
    BIL: ("source_system_defect", "mapping_error", TIMING, MISSING),
    P2P: ("source_system_defect", "duplicate_submission", "mapping_error", "po_change_not_synced",
          TIMING, MISSING),
    IC: ("intercompany_imbalance", TIMING, MISSING),
}
MAX_PLANTED = 0.9   # a workflow keeps at least 10 % of its primary kind


@dataclass(frozen=True)
class PlantRates:
    """Share of each workflow's business events planted with each cause or non-primary kind.

    A rate applies in every workflow where the scenario exists (``SCENARIOS``); what is left of
    a workflow is its primary kind (``PRIMARY``). ``timing_difference`` and
    ``missing_counterpart`` are concentrated inside / outside each settlement window so that
    their overall share still equals the rate.
    """

    source_system_defect: float = 0.01
    duplicate_submission: float = 0.01
    mapping_error: float = 0.01
    po_change_not_synced: float = 0.02
    intercompany_imbalance: float = 0.03
    amount_variance: float = 0.03
    timing_difference: float = 0.03
    missing_counterpart: float = 0.02
    reference_in_text: float = 0.03
    fuzzy_name: float = 0.02
    batch_payment: float = 0.02
    amount_tolerance: float = 0.01

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not 0 <= value <= 0.5:
                raise ValueError(f"rate {f.name} must be a number in 0..0.5, got {value!r}")
        for wf, names in SCENARIOS.items():
            total = sum(getattr(self, n) for n in names)
            if total > MAX_PLANTED:
                raise ValueError(f"rates of {wf} add up to {total:.2f}; at most {MAX_PLANTED} "
                                 f"({', '.join(names)})")

    def of(self, workflow: str) -> dict[str, float]:
        return {n: getattr(self, n) for n in SCENARIOS[workflow]}


def spread(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` over days in proportion to ``weights``, exactly, without randomness."""
    out, acc, done, w_sum = [], 0.0, 0, sum(weights) or 1.0
    for w in weights:
        acc += w
        upto = round(total * acc / w_sum)
        out.append(upto - done)
        done = upto
    return out


class Picker:
    """Deals scenarios to the events of one workflow at their rates, in a random phase.

    Two schedules: events younger than the settlement window can be dealt ``timing_difference``,
    older ones ``missing_counterpart``; every other scenario is dealt in both.
    """

    def __init__(self, rng: Random, rates: dict[str, float], primary: str, window: int,
                 total_days: int, events: int = 0):
        recent_share = min(1.0, (window + 1) / total_days)
        base = {k: v for k, v in rates.items() if k not in (TIMING, MISSING) and v > 0}
        boosted = {TIMING: rates.get(TIMING, 0) / recent_share,
                   MISSING: rates.get(MISSING, 0) / max(1e-9, 1 - recent_share)}
        self.primary, self.window = primary, window
        expected = (events * recent_share, events * (1 - recent_share))
        self._sched = [self._schedule(rng, base, k, boosted[k], n)
                       for k, n in zip((TIMING, MISSING), expected, strict=True)]
        self._count = [0, 0]

    @staticmethod
    def _schedule(rng: Random, base: dict[str, float], extra: str, rate: float,
                  expected: float) -> list:
        """A heap of (next event index, scenario, interval). When a small run expects fewer
        than two of a scenario, its first one comes early, so it is not missing altogether."""
        rates = dict(base)
        room = MAX_PLANTED + 0.05 - sum(base.values())
        if rate > 0:
            rates[extra] = min(rate, max(room, 0.0))
        early = 2 / expected if expected else 0
        heap = [(rng.random() / max(r, early), name, 1 / r)
                for name, r in sorted(rates.items()) if r > 0]
        heapq.heapify(heap)
        return heap

    def pick(self, age_days: int) -> str:
        i = 0 if age_days <= self.window else 1
        n = self._count[i]
        self._count[i] = n + 1
        heap = self._sched[i]
        if heap and heap[0][0] <= n:
            due, name, step = heap[0]
            heapq.heapreplace(heap, (due + step, name, step))
            return name
        return self.primary


# Shares of the ledger-side records (ERP lines in scope) per workflow.
SHARE = {B2L: 0.75, BIL: 0.14, P2P: 0.07, IC: 0.04}


@dataclass
class Volumes:
    """Business events per entity and workflow (bank events per account) for ``records``."""

    bank: dict[str, int] = field(default_factory=dict)       # by account key
    charges: dict[str, int] = field(default_factory=dict)    # by entity
    chains: dict[str, int] = field(default_factory=dict)     # by entity
    ic_pairs: int = 0

    @classmethod
    def plan(cls, records: int, entities: dict, accounts: tuple) -> Volumes:
        v = cls(ic_pairs=round(records * SHARE[IC] / 2))
        for code, e in entities.items():
            r = records * e.weight
            bank_share = SHARE[B2L] + (0 if e.stripe else SHARE[BIL])
            v.charges[code] = round(r * SHARE[BIL] / 1.05) if e.stripe else 0
            v.chains[code] = round(r * SHARE[P2P])
            for a in accounts:
                if a.company_code == code:
                    v.bank[a.key] = round(r * bank_share / 1.08 * a.weight)
        return v
