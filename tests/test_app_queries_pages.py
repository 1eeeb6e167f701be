"""The SQL behind the Exceptions, Lineage, Data quality, Jobs and Close review pages, checked
against plain Python over the fixture's generated rows (and a workflow overlay)."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from app import queries_close as qc
from app import queries_exceptions as qx
from app import queries_lineage as ql
from app import queries_ops as qo
from app import report
from app.queries import Filters, RunInfo
from jobs import export, workflow
from tests.published_fixture import AS_OF, build_published, generate

FIXTURE = generate()
OPEN = [x for x in FIXTURE.exceptions if x["status"] == "open"]


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = build_published(tmp_path_factory.mktemp("home"), FIXTURE)
    with duckdb.connect(str(path), read_only=True) as c:
        yield c


@pytest.fixture
def overlay(tmp_path):
    """Two exceptions resolved by hand, one assigned and routed."""
    store = workflow.open_store(tmp_path, "sqlite://")
    ids = [x["exception_id"] for x in OPEN]
    workflow.record(store, ids[:2], "resolve", "ana", "controller", reason="fixed")
    workflow.record(store, ids[2:3], "assign", "ana", "controller", assignee="bob",
                    queue="special-desk")
    return workflow.overlay(store), ids


def test_queue_totals_and_pages_follow_the_overlay(con, overlay):
    table, ids = overlay
    report_ = qx.QueueFilters().report(Filters())
    totals = qx.totals(con, report_, table)
    assert totals.exceptions == len(OPEN) - 2
    assert totals.unassigned == len(OPEN) - 3
    rows = pd.concat([qx.page(con, report_, table, 25, offset) for offset in range(0, 100, 25)])
    assert len(rows) == totals.exceptions and rows["exception_id"].is_unique
    assert not set(ids[:2]) & set(rows["exception_id"])  # resolved by hand: not open any more
    row = rows.set_index("exception_id").loc[ids[2]]
    assert (row["assignee"], row["queue"], row["wf_version"]) == ("bob", "special-desk", 1)

    resolved = qx.QueueFilters(status=("resolved",)).report(Filters())
    assert qx.versions(con, resolved, table) == {x: (1, "resolved") for x in ids[:2]}
    everything = qx.QueueFilters(status=()).report(Filters())
    assert qx.totals(con, everything, table).exceptions == len(FIXTURE.exceptions)


def test_queue_filters(con, overlay):
    table, ids = overlay
    def count(**kw):
        return qx.totals(con, qx.QueueFilters(**kw).report(Filters(workflow=("intercompany",))),
                         table).exceptions
    assert count(assignee=("bob",)) == (1 if OPEN[2]["workflow"] == "intercompany" else 0)
    in_wf = [x for x in OPEN[2:] if x["workflow"] == "intercompany"]
    unassigned = [x for x in in_wf if x["exception_id"] != ids[2]]
    assert count(assignee=(export.UNASSIGNED,)) == len(unassigned)
    old = [x for x in in_wf if (AS_OF - x["first_seen"]).days > 90]
    assert count(age_bucket=(">90",)) == len(old)
    target = in_wf[0]
    assert count(search=target["source_ref"].lower()) == 1
    assert count(search=target["correlation_id"]) == 1


def test_detail_and_related_records(con):
    x = next(x for x in OPEN if x["source_system"] == "bank")
    row = qx.detail(con, x["exception_id"], None)
    assert (row["cause"], row["candidates"], row["assignee"]) == (x["cause"], [], None)
    related = qx.related(con, row)
    assert related["role"].tolist() == ["this record"]
    assert related["source_ref"].tolist() == [x["source_ref"]]
    assert qx.detail(con, "no-such-id", None) is None


def test_lineage_chain_and_hops(con):
    row = next(r for r in FIXTURE.scope if r["status"] == "matched")
    assert ql.normalise(" ref-0001/x ") == "REF0001X"
    seeds = ql.find(con, row["source_ref"].lower())
    assert seeds == [row["record_id"]]
    assert ql.find(con, "REF-0000")  # a prefix finds records when no key is equal
    assert ql.find(con, "-") == []
    ids = ql.chain(con, seeds)
    recs = ql.records(con, ids)
    assert set(recs["source_system"]) == {row["source_system"], "erp"}
    assert recs["match_id"].nunique() == 1 and recs["rule"].iloc[0] == row["rule"]
    hops = ql.hops(recs, ql.exceptions(con, ids), [
        {"at": dt.datetime(2025, 11, 14, 9, tzinfo=dt.UTC), "action": "comment", "actor": "a"}])
    assert hops["at"].is_monotonic_increasing
    assert set(hops["lane"]) >= {"snapshot", "match", "workflow", "erp"}
    assert pd.isna(hops["latency"].iloc[0])
    assert (hops["latency"].iloc[1:] >= pd.Timedelta(0)).all()


def test_lineage_and_cutoff_read_the_published_lookups(tmp_path):
    """A run published with the lookup tables gives what one published before them does (where
    they are read from ``record`` and ``match_member``), read from the tables."""
    from jobs.lineage import LOOKUPS, lookup_sql
    from jobs.published import CUTOFF_MATCHES, CUTOFF_TABLE

    path = build_published(tmp_path, FIXTURE)
    texts = [r["source_ref"] for r in FIXTURE.scope[:12]] + [FIXTURE.scope[3]["correlation_id"]]

    def views(c):
        out = []
        for text in texts:
            ids = ql.chain(c, ql.find(c, text))
            out.append((sorted(ids), ql.records(c, ids), ql.exceptions(c, ids)))
        return out, [qc.cutoff_matches(c, p) for p in qc.periods(c)]

    with duckdb.connect(str(path)) as rw:
        rw.execute("UPDATE match_group SET cutoff_flag = match_id < 'm-00050'")
        before = views(rw)
        for name in LOOKUPS:
            rw.execute(f"CREATE TABLE {name} AS {lookup_sql(name)}")
        rw.execute(f"CREATE TABLE {CUTOFF_TABLE} AS {CUTOFF_MATCHES}")
        after = views(rw)
        assert sum(before[1]) > 0 and after[1] == before[1]
        assert len(ql.chain(rw, [FIXTURE.scope[0]["record_id"]])) == 2  # its match and its ERP line
        for (ids, recs, excs), (ids2, recs2, excs2) in zip(before[0], after[0], strict=True):
            assert ids == ids2 and recs.equals(recs2) and excs.equals(excs2)
        rw.execute(f"UPDATE {CUTOFF_TABLE} SET matches = matches + 1")
        rw.execute("DELETE FROM lineage_record")
        assert [qc.cutoff_matches(rw, p) for p in qc.periods(rw)] == [n + 1 for n in before[1]]
        assert ql.records(rw, before[0][0][0]).empty


def test_validation_outcomes_flag_a_record(con):
    checks = ql.validations(con, ["s-erp-2025-10"], ["erp-bad-1"])
    assert checks["flags_record"].any()
    assert set(checks["snapshot_id"]) == {"s-erp-2025-10"}


def test_data_quality_and_job_figures(con):
    by_source = qo.pass_rate_by_source(con).set_index("source_system")
    assert by_source.loc["erp", "pass_rate"] == pytest.approx(6 / 9)
    assert by_source.loc["bank", "critical_failed"] == 1
    assert len(qo.pass_rate_by_snapshot(con)) == 12
    assert len(qo.expectation_results(con, failed_only=True)) == 4
    assert qo.has_table(con, "snapshot") and not qo.has_table(con, "data_quality_alert")
    assert qo.alerts(con) is None and qo.record_failures(con) is None
    health = qo.health(con)
    assert (health["runs"], health["failed"], health["replay_success_rate"]) == (6, 1, None)
    fresh = qo.freshness(con).set_index("source_system")
    assert fresh.loc["bank", "last_quarantined"] is not pd.NaT
    assert qo.runs(con)["seconds"].iloc[0] == 240.0


def test_close_period_dates():
    close = qc.close_period("2025-10", AS_OF)
    assert (close.start, close.end) == (dt.date(2025, 10, 1), dt.date(2025, 10, 31))
    assert close.deadline == dt.date(2025, 11, 7)  # five working days after Friday 31 Oct
    assert close.days_left == -7
    assert qc.previous("2025-01") == "2024-12"


def test_close_review_figures(con):
    close = qc.close_period("2025-10", AS_OF)
    rows = qc.by_entity(con, "2025-10", Filters(), None)
    expected = [x for x in OPEN if x["event_date"].strftime("%Y-%m") == "2025-10"]
    assert rows["open_items"].sum() == len(expected)
    per_currency = rows.groupby("currency")["open_amount"].sum()
    for ccy in per_currency.index:
        assert per_currency[ccy] == pytest.approx(float(sum(
            abs(x["amount"]) for x in expected if x["currency"] == ccy)))
    status = qc.entity_status(rows, close)
    assert set(status["status"]) == {"late"}  # past the deadline with items open
    upcoming = qc.entity_status(rows, qc.close_period("2025-10", dt.date(2025, 11, 3)))
    assert set(upcoming["status"]) <= {"on track", "at risk"}
    causes = qc.top_causes(con, "2025-10", Filters(), None)
    assert causes["items"].sum() <= len(expected) and causes["items"].is_monotonic_decreasing
    trend = qc.trend(con, "2025-11", Filters(), None)
    assert trend["period"].tolist() == ["2025-09", "2025-10", "2025-11"]


def test_close_report_is_self_contained_and_escaped(con):
    close = qc.close_period("2025-10", AS_OF)
    rows = qc.by_entity(con, "2025-10", Filters(), None)
    run = RunInfo("run<1>", AS_OF, dt.datetime(2025, 11, 14, 6, tzinfo=dt.UTC), None, 1, 1)
    html = report.close_report(close, run, "Close <b>late</b>", {"Items": "19"},
                               qc.entity_status(rows, close), rows,
                               qc.top_causes(con, "2025-10", Filters(), None),
                               qc.trend(con, "2025-10", Filters(), None), [], {"DE01": "GmbH"})
    assert "run&lt;1&gt;" in html and "Close &lt;b&gt;late&lt;/b&gt;" in html
    assert "DE01 · GmbH" in html and "<script" not in html  # no charts given: no plotly.js


def test_timeliness_kpis(con):
    from app import queries_latency as lat

    sync = lat.sync_latency(con, Filters()).set_index("pair")
    assert set(sync.index) == {"bank → erp", "billing → erp", "procurement → erp", "erp → erp"}
    assert (sync["p50"] == 1).all()  # the fixture's matches all took one day
    cycle = lat.cycle_time(con, Filters(workflow=("bank_to_ledger",)))
    ages = sorted((AS_OF - r["event_date"]).days for r in FIXTURE.scope
                  if r["status"] == "matched" and r["workflow"] == "bank_to_ledger")
    assert cycle["workflow"].tolist() == ["bank_to_ledger"]
    assert cycle["matches"].iloc[0] == len(ages)
    assert cycle["p50"].iloc[0] == pytest.approx(pd.Series(ages).median())
    feed = lat.feed_latency(con, Filters()).set_index("source_system")
    assert feed.loc["bank", "p50"] == pytest.approx(1.25)  # snapshot the next day at 06:00
    narrowed = lat.feed_latency(con, Filters(entity=("JP01",)))
    assert narrowed["records"].sum() < feed["records"].sum()


@pytest.mark.parametrize("values", [
    np.random.default_rng(3).integers(0, 40, 1001), np.random.default_rng(4).exponential(2, 500),
    np.array([5.0]), np.array([1, 1, 2, 7]), np.array([0, 3])])
def test_histogram_percentiles_are_quantile_cont(values):
    """The timeliness percentiles come from counts per value, exactly as on the raw rows."""
    from app import queries_latency as lat

    expected = duckdb.execute("SELECT quantile_cont(v, [0.5, 0.95]) FROM "
                              "(SELECT unnest(?::DOUBLE[]) AS v)", [values.tolist()]).fetchone()[0]
    distinct, counts = np.unique(values.astype(float), return_counts=True)
    assert [lat._quantile(distinct, counts, q) for q in lat.QUANTILES] == pytest.approx(
        expected, rel=1e-12)


def test_timeliness_kpis_read_published_histograms(tmp_path):
    """A run that publishes the latency histograms is read from them, not from raw history."""
    from app import queries_latency as lat

    path = build_published(tmp_path, FIXTURE)
    with duckdb.connect(str(path)) as rw:
        figures = (lat.sync_latency, lat.cycle_time, lat.feed_latency)
        raw = [fn(rw, Filters(workflow=("bank_to_ledger",))) for fn in figures]
        rw.execute(f"CREATE TABLE {lat.HISTOGRAM_TABLES['match']} AS {lat.MATCH_HISTOGRAM}")
        rw.execute(f"CREATE TABLE {lat.HISTOGRAM_TABLES['feed']} AS {lat.FEED_HISTOGRAM}")
        for fn, expected in zip(figures, raw, strict=True):
            assert fn(rw, Filters(workflow=("bank_to_ledger",))).equals(expected)
        rw.execute(f"UPDATE {lat.HISTOGRAM_TABLES['match']} SET matches = matches * 2")
        doubled = lat.sync_latency(rw, Filters(workflow=("bank_to_ledger",)))
        assert doubled["matches"].tolist() == [2 * n for n in raw[0]["matches"]]
