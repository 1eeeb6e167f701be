"""Matching invariants on random ledgers (hypothesis): whatever the data, these always hold."""

from __future__ import annotations

import datetime as dt
import os
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from jobs import warehouse
from jobs.matching.run import match
from jobs.settings import Settings
from tests.rows import balanced, bank, erp, load, reference

AS_OF = dt.date(2026, 1, 31)
NAMES = ["Acme GmbH", "Globex Corp", "Initech AG", "Umbrella Ltd", "Stark Industries"]


@st.composite
def ledgers(draw):
    """Bank and ERP lines sharing references, amounts, dates and names in random ways."""
    n = draw(st.integers(1, 12))
    banks, erps = [], []
    for i in range(n):
        amount = draw(st.sampled_from(["10.00", "25.50", "100.00", "99.99", "250.00"]))
        day = AS_OF - dt.timedelta(days=draw(st.integers(0, 20)))
        ref = draw(st.sampled_from([None, f"INV-{i}", f"INV-{i % 3}", "INV-X"]))
        name = draw(st.sampled_from(NAMES))
        style = draw(st.sampled_from(["e2e", "text", "name"]))
        banks.append(bank(f"B{i}", amount, str(day), e2e=ref if style == "e2e" else None,
                          text=f"payment {ref}" if style == "text" and ref else None, name=name))
        if draw(st.booleans()):
            delta = draw(st.sampled_from(["0", "0", "0.01", "-5.00"]))
            erp_day = day + dt.timedelta(days=draw(st.integers(-3, 3)))
            line = erp(f"D{i}", str(Decimal(amount) + Decimal(delta)), str(erp_day),
                       ref=draw(st.sampled_from([ref, f"INV-{i}", None])), text=name)
            erps += balanced(line)
    return banks, erps


def run(tmp, banks, erps):
    con = warehouse.connect(tmp)
    reference(con)
    load(con, "bank_transaction", banks)
    load(con, "ledger_line", erps)
    match(con, Settings.load(home=tmp), AS_OF)
    groups = con.execute("SELECT match_id, record_id, source_ref, amount, side FROM recon__groups "
                         "ORDER BY source_ref").fetchall()
    excs = con.execute("SELECT source_ref, cause, sub_cause FROM recon__exc_now "
                       "ORDER BY source_ref").fetchall()
    scope = con.execute("SELECT count(*) FROM recon__scope").fetchone()[0]
    con.close()
    return groups, excs, scope


def canonical(groups, excs):
    """Results independent of run-specific keys: member sets of groups, and causes."""
    by_group: dict[str, set] = {}
    for match_id, _, ref, _, _ in groups:
        by_group.setdefault(match_id, set()).add(ref)
    return sorted(sorted(g) for g in by_group.values()), excs


# A dozen examples per run keeps the default suite fast; `make test-slow` sets
# RECON_HYPOTHESIS_EXAMPLES=300 for a thorough search.
PROPS = hsettings(max_examples=int(os.environ.get("RECON_HYPOTHESIS_EXAMPLES", "12")), deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])


@PROPS
@given(data=ledgers(), seed=st.integers(0, 10_000))
def test_invariants(tmp_path_factory, data, seed):
    banks, erps = data
    groups, excs, scope = run(tmp_path_factory.mktemp("a"), banks, erps)
    members = [g[1] for g in groups]
    assert len(members) == len(set(members)), "a record is in two match groups"
    assert {e[0] for e in excs}.isdisjoint({g[2] for g in groups}), "matched and exception"
    assert len(members) + len(excs) == scope, "every in-scope record ends somewhere"
    sums: dict[str, Decimal] = {}
    for match_id, _, _, amount, side in groups:
        sums[match_id] = sums.get(match_id, Decimal(0)) + (amount if side == "left" else -amount)
    assert all(abs(v) <= Decimal("0.01") for v in sums.values()), "a group does not balance"
    # Shuffling the input rows changes nothing.
    rng = random.Random(seed)
    shuffled_b, shuffled_e = banks[:], erps[:]
    rng.shuffle(shuffled_b)
    rng.shuffle(shuffled_e)
    again = run(tmp_path_factory.mktemp("b"), shuffled_b, shuffled_e)
    assert canonical(*again[:2]) == canonical(groups, excs)


@PROPS
@given(data=ledgers())
def test_unrelated_records_never_break_a_correct_match(tmp_path_factory, data):
    banks, erps = data
    groups, _, _ = run(tmp_path_factory.mktemp("a"), banks, erps)
    before = canonical(groups, [])[0]
    noise_b = [bank(f"N{i}", "7777.77", "2026-01-02", e2e=f"OTHER-{i}", name="Nobody Ltd")
               for i in range(3)]
    noise_e = [line for i in range(3) for line in
               balanced(erp(f"N{i}", "8888.88", "2026-01-03", ref=f"ELSE-{i}", text="Noone"))]
    after = canonical(run(tmp_path_factory.mktemp("b"), banks + noise_b, erps + noise_e)[0], [])[0]
    assert all(g in after for g in before)


@pytest.mark.parametrize("repeat", [2])
def test_running_twice_gives_identical_exports(tmp_path, repeat):
    from jobs.export import exceptions_table, matches_table
    from jobs.published import open_current
    from tests.rows import publish_rows

    banks = [bank("B1", "100.00", "2026-01-20", e2e="PAY-1"), bank("B2", "5.00", "2026-01-02")]
    erps = balanced(erp("D1", "100.00", "2026-01-20", ref="PAY-1"))
    exports = []
    for i in range(repeat):
        home = tmp_path / f"h{i}"
        publish_rows(home, banks, erps, AS_OF)
        con = open_current(home)
        exports.append((exceptions_table(con).to_pylist(), matches_table(con).to_pylist()))
        con.close()
    assert exports[0] == exports[1]


@given(amounts=st.lists(st.decimals(min_value=-999, max_value=999, places=2,
                                    allow_nan=False, allow_infinity=False),
                        min_size=2, max_size=12),
       picks=st.lists(st.booleans(), min_size=12, max_size=12))
def test_unique_subset_returns_the_only_subset_that_adds_up_or_nothing(amounts, picks):
    import itertools

    from jobs.matching.run import unique_subset
    ids = [f"r{i}" for i in range(len(amounts))]
    target = sum((a for a, p in zip(amounts, picks, strict=False) if p), Decimal(0))
    got = unique_subset(ids, amounts, target)
    subsets = [c for n in range(1, len(ids) + 1) for c in itertools.combinations(range(len(ids)), n)
               if sum((amounts[i] for i in c), Decimal(0)) == target]
    if len(subsets) == 1:
        assert got == [ids[i] for i in subsets[0]]
    else:
        assert got is None
