"""The quality bar (matching issue) on simulated enterprises over several seeds: match precision
≥ 0.999, match recall ≥ 0.98, and precision and recall ≥ 0.95 for every cause. The 200,000-record
figures are produced by ``make bench`` (BENCH_QUALITY_SIZE) and quoted in the README."""

from __future__ import annotations

import json

import pytest

from tests.worker_harness import AS_OF, run

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_quality_bar_at_20k(seed, tmp_path):
    sources, home = tmp_path / "sim", tmp_path / "home"
    run("simulate", "--out", str(sources), "--seed", str(seed), "--records", "20000",
        "--as-of", AS_OF)
    run("run", "--sources", str(sources), "--as-of", AS_OF, "--home", str(home))
    result = json.loads(run("evaluate", "--truth", str(sources / "truth.csv"), "--json",
                            "--home", str(home)).stdout)
    assert result["match_precision"] >= 0.999, result
    assert result["match_recall"] >= 0.98, result
    for cause, m in result["causes"].items():
        assert m["support"] > 0, cause
        assert m["precision"] >= 0.95 and m["recall"] >= 0.95, (cause, m)
