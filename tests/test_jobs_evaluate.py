"""Evaluation arithmetic: per-record match precision/recall and per-cause figures."""

from __future__ import annotations

import pytest

from jobs.evaluate import Truth, evaluate, read_truth


def test_match_and_cause_scores():
    truth = Truth(group={("bank", "B1"): "g1", ("erp", "E1"): "g1", ("bank", "B2"): "g2",
                         ("erp", "E2"): "g2", ("bank", "B3"): "g3", ("erp", "E3"): "g3"},
                  cause={("bank", "B4"): "timing_difference", ("erp", "E4"): "mapping_error",
                         ("erp", "E5"): "mapping_error"},
                  sub_cause={})
    groups = {"m1": [("bank", "B1"), ("erp", "E1")],          # right
              "m2": [("bank", "B2"), ("erp", "E3")]}          # wrong pairing
    causes = {("bank", "B4"): ("timing_difference", None), ("erp", "E4"): ("mapping_error", None),
              ("erp", "E5"): ("missing_counterpart", None), ("erp", "E2"): ("missing_counterpart", None)}
    r = evaluate(truth, groups, causes)
    assert r["match_precision"] == pytest.approx(2 / 4)
    assert r["match_recall"] == pytest.approx(2 / 6)
    assert r["causes"]["timing_difference"] == {"precision": 1.0, "recall": 1.0, "support": 1,
                                                "predicted": 1}
    assert r["causes"]["mapping_error"]["recall"] == 0.5
    assert r["causes"]["missing_counterpart"]["precision"] == 0.0
    assert r["causes"]["duplicate_submission"]["precision"] is None


def test_truth_file_is_checked(tmp_path):
    bad = tmp_path / "truth.csv"
    bad.write_text("source_system,source_ref,expected\nbank,B1,maybe\n")
    with pytest.raises(ValueError, match="line 2"):
        read_truth(bad)
    bad.write_text("system,ref\n")
    with pytest.raises(ValueError, match="lacks column"):
        read_truth(bad)
