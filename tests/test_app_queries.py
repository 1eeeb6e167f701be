"""app.queries against the fixture run, checked against plain-Python sums over the generated rows."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict

import duckdb
import pytest

from app import queries
from app.queries import AgingPolicy, Filters
from tests.published_fixture import (
    AS_OF,
    RUN_ID,
    SLA_DAYS,
    build_empty_run,
    build_published,
    generate,
)

FIXTURE = generate()
OPEN = [x for x in FIXTURE.exceptions if x["status"] == "open"]
FILTER_CASES = [
    Filters(),
    Filters(workflow=("bank_to_ledger",)),
    Filters(entity=("DE01", "JP01"), period=("2025-10",)),
    Filters(currency=("USD",), workflow=("intercompany", "procure_to_pay")),
    Filters(cause=("timing_difference", "mapping_error")),
    Filters(period=("2025-09", "2025-11"), cause=("amount_variance",), entity=("US01",)),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_published(tmp_path_factory.mktemp("home"), FIXTURE)
    with duckdb.connect(str(path), read_only=True) as c:
        yield c


@pytest.fixture(scope="module")
def empty_con(tmp_path_factory):
    path = build_empty_run(tmp_path_factory.mktemp("empty"))
    with duckdb.connect(str(path), read_only=True) as c:
        yield c


# --- the oracle: the same figures, by hand ---------------------------------------------------

def keep(row: dict, f: Filters, period_of=lambda r: r["period"], use_cause=True) -> bool:
    checks = {"period": period_of(row), "entity": row["entity"], "workflow": row["workflow"],
              "currency": row["currency"]}
    if use_cause:
        checks["cause"] = row["cause"]
    return all(not getattr(f, k) or v in getattr(f, k) for k, v in checks.items())


def scope(f: Filters) -> list[dict]:
    return [r for r in FIXTURE.scope if keep(r, f, use_cause=False)]


def open_rows(f: Filters) -> list[dict]:
    return [x for x in OPEN if keep(x, f, period_of=lambda r: r["event_date"].strftime("%Y-%m"))]


def age(x: dict) -> int:
    return (AS_OF - x["first_seen"]).days


def p90(values: list[int]) -> float:
    s = sorted(values)
    pos = 0.9 * (len(s) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


# --- tests -----------------------------------------------------------------------------------

def test_run_info(con, empty_con):
    info = queries.run_info(con)
    assert (info.run_id, info.as_of, info.records_in) == (RUN_ID, AS_OF, len(FIXTURE.scope))
    assert info.published_at.utcoffset() is not None
    assert queries.run_info(empty_con).records_in == 0


def test_filter_options(con):
    options = queries.filter_options(con)
    assert options["period"] == sorted({r["period"] for r in FIXTURE.scope}, reverse=True)
    assert options["entity"] == ["DE01", "JP01", "US01"]
    assert options["currency"] == ["EUR", "JPY", "USD"]
    assert set(options["workflow"]) == {r["workflow"] for r in FIXTURE.scope}
    assert set(options["cause"]) == {x["cause"] for x in OPEN}
    assert queries.entity_names(con)["JP01"] == "Recon Demo KK"


@pytest.mark.parametrize("f", FILTER_CASES, ids=str)
def test_match_rate_totals(con, f):
    rows = scope(f)
    got = queries.match_rate(con, f).iloc[0]
    matched = sum(r["status"] == "matched" for r in rows)
    assert (got["records"], got["matched"]) == (len(rows), matched)
    assert got["match_rate"] == pytest.approx(matched / len(rows))


def test_match_rate_by_workflow_and_trend(con):
    by_wf = queries.match_rate(con, Filters(), ["workflow"]).set_index("workflow")
    for wf, g in _group(FIXTURE.scope, "workflow").items():
        assert by_wf.loc[wf, "records"] == len(g)
        assert by_wf.loc[wf, "match_rate"] == pytest.approx(_rate(g))
    trend = queries.match_rate(con, Filters(workflow=("bank_to_ledger",)), ["entity", "period"])
    rows = [r for r in FIXTURE.scope if r["workflow"] == "bank_to_ledger"]
    expected = {k: _rate(g) for k, g in _group(rows, "entity", "period").items()}
    got = {(e, p): r for e, p, r in trend[["entity", "period", "match_rate"]].itertuples(False)}
    assert got == pytest.approx(expected)
    keys = list(zip(trend["entity"], trend["period"], strict=True))
    assert keys == sorted(keys)


@pytest.mark.parametrize("f", FILTER_CASES, ids=str)
def test_currency_amounts_never_mix_currencies(con, f):
    got = queries.currency_amounts(con, f).set_index("currency")
    in_scope, open_x = _group(scope(f), "currency"), _group(open_rows(f), "currency")
    assert set(got.index) == set(in_scope) | set(open_x)
    for ccy in got.index:
        rows = in_scope.get(ccy, [])
        total = float(sum(abs(r["amount"]) for r in rows))
        matched = float(sum(abs(r["amount"]) for r in rows if r["status"] == "matched"))
        assert got.loc[ccy, "records"] == len(rows)
        assert got.loc[ccy, "amount_abs"] == pytest.approx(total)
        assert got.loc[ccy, "matched_amount_abs"] == pytest.approx(matched)
        if rows:
            assert got.loc[ccy, "amount_match_rate"] == pytest.approx(matched / total)
        assert got.loc[ccy, "open_exceptions"] == len(open_x.get(ccy, []))
        assert got.loc[ccy, "open_amount_abs"] == pytest.approx(
            float(sum(abs(x["amount"]) for x in open_x.get(ccy, []))))
    assert list(got["records"]) == sorted(got["records"], reverse=True)


@pytest.mark.parametrize("f", FILTER_CASES, ids=str)
def test_open_exceptions_and_sla(con, f):
    rows = open_rows(f)
    got = queries.open_exceptions(con, f).iloc[0]
    assert got["exceptions"] == len(rows)
    assert got["sla_breaches"] == sum(age(x) > SLA_DAYS[x["cause"]] for x in rows)
    by_cause = queries.open_exceptions(con, f, ["cause"]).set_index("cause")["exceptions"]
    assert by_cause.to_dict() == Counter(x["cause"] for x in rows)


def test_aging_buckets_in_order(con):
    got = queries.open_exceptions(con, Filters(), ["age_bucket"])
    assert list(got["age_bucket"]) == ["0-2", "3-7", "8-30", "31-60", "61-90", ">90"]
    bounds = {"0-2": (0, 2), "3-7": (3, 7), "8-30": (8, 30), "31-60": (31, 60),
              "61-90": (61, 90), ">90": (91, 10**6)}
    expected = [sum(lo <= age(x) <= hi for x in OPEN) for lo, hi in bounds.values()]
    assert list(got["exceptions"]) == expected


def test_period_path_agrees_with_the_aggregate(con):
    """With every period selected, raw rows must give what kpi_exception_aging gives."""
    dims = ["workflow", "entity", "cause", "queue", "currency", "age_bucket"]
    every = Filters(period=tuple(queries.filter_options(con)["period"]))
    from_kpi = queries.open_exceptions(con, Filters(), dims)
    from_rows = queries.open_exceptions(con, every, dims, AgingPolicy())
    assert from_rows.equals(from_kpi)


@pytest.mark.parametrize("f", FILTER_CASES, ids=str)
def test_exception_age(con, f):
    ages = [age(x) for x in open_rows(f)]
    got = queries.exception_age(con, f)
    assert got.open == len(ages)
    assert got.median_days == pytest.approx(statistics.median(ages))
    assert got.p90_days == pytest.approx(p90(ages))


def test_cause_filter_leaves_match_rate_alone(con):
    f = Filters(cause=("mapping_error",))
    assert queries.match_rate(con, f).equals(queries.match_rate(con, Filters()))


def test_empty_run(empty_con):
    totals = queries.match_rate(empty_con, Filters()).iloc[0]
    assert totals["records"] == 0 and math.isnan(totals["match_rate"])
    assert queries.open_exceptions(empty_con, Filters()).iloc[0]["exceptions"] == 0
    assert queries.currency_amounts(empty_con, Filters()).empty
    assert queries.exception_age(empty_con, Filters()) == queries.AgeStats(0, None, None)
    assert queries.match_rate(empty_con, Filters(), ["workflow"]).empty


def test_identifiers_from_allowlist_values_bound(con):
    with pytest.raises(ValueError, match="cannot group by"):
        queries.match_rate(con, Filters(), ["workflow; DROP TABLE scope"])
    with pytest.raises(ValueError, match="cannot group by"):
        queries.open_exceptions(con, Filters(), ["period"])  # the aggregate has no period
    hostile = Filters(workflow=("x' OR '1'='1",), period=("2025-10') OR (1=1",))
    assert queries.match_rate(con, hostile).iloc[0]["records"] == 0
    assert queries.open_exceptions(con, hostile).iloc[0]["exceptions"] == 0


def _group(rows: list[dict], *keys: str) -> dict:
    out: dict = defaultdict(list)
    for r in rows:
        out[r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys)].append(r)
    return out


def _rate(rows: list[dict]) -> float:
    return sum(r["status"] == "matched" for r in rows) / len(rows)
