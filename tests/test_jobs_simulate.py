"""recon simulate: deterministic per seed, every cause and kind planted, rates and scale honoured."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from connectors.canonical import Cause, SubCause, Workflow
from jobs.simulate import PlantRates, SimulationSummary, simulate
from jobs.simulate.plan import Picker, spread

AS_OF = dt.date(2025, 3, 31)
KINDS = {"exact_reference", "reference_in_text", "fuzzy_name", "batch_payment", "payout_net_of_fees",
         "three_way_po", "intercompany_pair", "amount_tolerance"}
TRUTH_COLUMNS = ["source_system", "source_ref", "workflow", "expected", "match_key", "match_kind",
                 "cause", "sub_cause"]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _truth(folder: Path) -> list[dict]:
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sim(tmp_path_factory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("sim")
    return out, simulate(out, seed=3, records=3000, as_of=AS_OF)


def test_same_seed_same_bytes_in_one_process_or_two(tmp_path):
    one = simulate(tmp_path / "a", seed=5, records=1200, as_of=AS_OF, parallel=False)
    two = simulate(tmp_path / "b", seed=5, records=1200, as_of=AS_OF, parallel=True)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) > 40
    assert [k for k in a if a[k] != b[k]] == []
    assert one.files == two.files and one.causes == two.causes


def test_same_bytes_under_another_hash_seed(tmp_path):
    """String hashing differs per interpreter; nothing written may depend on it."""
    simulate(tmp_path / "a", seed=8, records=400, as_of=AS_OF)
    code = ("import datetime as dt, pathlib; from jobs.simulate import simulate; "
            f"simulate(pathlib.Path({str(tmp_path / 'b')!r}), 8, 400, dt.date(2025, 3, 31))")
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=Path(__file__).parents[1])
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []


@pytest.mark.parametrize("records, as_of", [(50, dt.date(2025, 1, 5)),    # Sunday, new year
                                            (400, dt.date(2024, 12, 25))])  # a holiday
def test_tiny_runs_and_awkward_as_of_dates(tmp_path, records, as_of):
    summary = simulate(tmp_path / "t", seed=1, records=records, as_of=as_of)
    assert summary.systems["erp"] > 0
    truth = _truth(tmp_path / "t")
    assert {r["expected"] for r in truth} <= {"match", "exception"}


def test_another_seed_other_data(tmp_path):
    simulate(tmp_path / "a", seed=5, records=600, as_of=AS_OF)
    simulate(tmp_path / "b", seed=6, records=600, as_of=AS_OF)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["truth.csv"] != b["truth.csv"]
    assert a["reference/customers.csv"] != b["reference/customers.csv"]


def test_every_cause_kind_and_sub_cause_is_planted(sim):
    folder, summary = sim
    assert set(summary.causes) == {c.value for c in Cause}
    assert set(summary.kinds) == KINDS
    truth = _truth(folder)
    assert list(truth[0]) == TRUTH_COLUMNS
    subs = {r["sub_cause"] for r in truth if r["cause"] == "amount_variance"}
    assert subs == {s.value for s in SubCause}
    by_workflow = Counter((r["workflow"], r["cause"]) for r in truth if r["cause"])
    for wf in ("bank_to_ledger", "billing_to_ledger", "procure_to_pay"):
        assert by_workflow[(wf, "mapping_error")] > 0
        assert by_workflow[(wf, "source_system_defect")] > 0
    assert {r["workflow"] for r in truth} == {w.value for w in Workflow}
    dupes = {r["source_system"] for r in truth if r["cause"] == "duplicate_submission"}
    assert dupes == {"erp", "procurement"}


def test_truth_rows_are_consistent(sim):
    truth = _truth(sim[0])
    for r in truth:
        if r["expected"] == "match":
            assert r["match_key"] and r["match_kind"] and not r["cause"] and not r["sub_cause"]
        else:
            assert r["expected"] == "exception" and r["cause"] and not r["match_kind"]
    sizes = Counter(r["match_key"] for r in truth if r["expected"] == "match")
    assert min(sizes.values()) >= 2   # a match always has a counterpart
    kinds = {}
    for r in truth:
        if r["expected"] == "match":
            assert kinds.setdefault(r["match_key"], r["match_kind"]) == r["match_kind"]


def test_the_four_defect_types_are_in_the_ledger(sim):
    folder = sim[0]
    defects = {r["source_ref"] for r in _truth(folder) if r["cause"] == "source_system_defect"}
    seen = Counter()
    for path in (folder / "erp").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                ref = "/".join(row[k] for k in ("company_code", "fiscal_year", "document_number",
                                                "line_item"))
                if ref not in defects:
                    continue
                seen["currency"] += row["currency"] in ("EU", "XXX", "EURO")
                seen["amount"] += row["amount"] == ""
                seen["date"] += row["posting_date"][:4] in ("2099", "1901")
    assert seen["currency"] and seen["amount"] and seen["date"]
    assert len(defects) > seen["currency"] + seen["amount"] + seen["date"]   # + unbalanced


def test_scale_follows_records(sim):
    _, summary = sim
    truth = _truth(sim[0])
    erp_in_scope = sum(1 for r in truth if r["source_system"] == "erp")
    assert 0.85 * 3000 <= erp_in_scope <= 1.15 * 3000
    assert 0.6 * 3000 <= summary.systems["bank"] <= 1.1 * 3000
    assert summary.elapsed_seconds > 0


def test_rates_are_honoured(tmp_path):
    quiet = dataclasses.replace(PlantRates(), **{f.name: 0.0 for f in dataclasses.fields(PlantRates)})
    summary = simulate(tmp_path / "q", seed=1, records=2000, as_of=AS_OF, rates=quiet)
    # only the natural edge of the window remains: events whose other side is after as_of
    assert set(summary.causes) <= {"timing_difference", "missing_counterpart"}
    assert sum(summary.causes.values()) < 0.03 * sum(summary.systems.values())
    loud = dataclasses.replace(PlantRates(), fuzzy_name=0.2)
    summary2 = simulate(tmp_path / "l", seed=1, records=2000, as_of=AS_OF, rates=loud)
    bank_events = summary2.systems["bank"]
    assert 0.14 < summary2.kinds["fuzzy_name"] / 2 / bank_events < 0.26


def test_plant_rates_are_validated():
    with pytest.raises(ValueError, match="fuzzy_name"):
        PlantRates(fuzzy_name=0.6)
    with pytest.raises(ValueError, match="0..0.5"):
        dataclasses.replace(PlantRates(), timing_difference=-0.1)
    with pytest.raises(ValueError, match="bank_to_ledger"):
        PlantRates(**dict.fromkeys(PlantRates().of("bank_to_ledger"), 0.1))


def test_settlement_windows_decide_timing_or_missing(tmp_path):
    summary = simulate(tmp_path / "w", seed=2, records=1500, as_of=AS_OF,
                       settlement_days={"bank_to_ledger": 0, "billing_to_ledger": 0,
                                        "procure_to_pay": 0, "intercompany": 0})
    assert summary.causes.get("missing_counterpart", 0) > summary.causes.get("timing_difference", 0)


def test_spread_is_exact_and_picker_deals_its_rates():
    assert sum(spread(1001, [1, 0.3, 0.3, 1, 1])) == 1001
    from random import Random

    picker = Picker(Random(1), {"fuzzy_name": 0.1, "timing_difference": 0.05,
                                "missing_counterpart": 0.05}, "exact_reference", 9, 90)
    dealt = Counter(picker.pick(age) for age in range(90) for _ in range(100))
    assert dealt["fuzzy_name"] == pytest.approx(900, abs=2)
    assert dealt["timing_difference"] == pytest.approx(450, abs=2)
    assert dealt["missing_counterpart"] == pytest.approx(450, abs=2)


def test_refuses_a_folder_that_already_holds_data(tmp_path):
    simulate(tmp_path, seed=1, records=100, as_of=AS_OF)
    with pytest.raises(FileExistsError, match="already holds"):
        simulate(tmp_path, seed=2, records=100, as_of=AS_OF)


def test_progress_is_reported(tmp_path):
    seen = []
    simulate(tmp_path / "p", seed=1, records=300, as_of=AS_OF, progress=lambda w, n: seen.append(w))
    assert seen[0] == "reference" and seen[-1] == "truth" and len(seen) > 4
