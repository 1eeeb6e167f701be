"""The suite files themselves: one per canonical table, every expectation named and graded, every
column they name present in the frame validation builds. No Great Expectations import needed."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest

from jobs import validate as v
from jobs import validation_checks as checks
from jobs import warehouse


def test_one_suite_per_canonical_table():
    suites = v.load_suites()
    assert sorted(s.table for s in suites) == sorted(checks.TABLE_SYSTEM)
    for s in suites:
        assert s.path.stem == s.name == s.table
        assert s.doc["meta"]["source_system"] == checks.TABLE_SYSTEM[s.table]


def test_every_suite_checks_keys_and_currency_or_amount():
    for s in v.load_suites():
        names = {e["meta"]["name"] for e in s.doc["expectations"]}
        assert {"record_id_present", "record_id_unique_in_snapshot", "source_ref_present",
                "source_ref_unique_in_snapshot"} <= names, s.name
        critical = {e["meta"]["name"] for e in s.doc["expectations"]
                    if e["meta"]["severity"] == "critical"}
        assert critical & {"amount_present", "total_present", "quantity_present"}, s.name


def test_named_columns_exist_in_the_frames(tmp_path):
    con = warehouse.connect(tmp_path)
    v._register_inputs(con, [])
    for s in v.load_suites():
        missing = set(s.columns()) - checks.frame_columns(con, s.table)
        assert not missing, (s.name, missing)
        # Dates reach GX as YYYYMMDD integers, never as dates (row-by-row comparisons in Python).
        types = {r[0]: r[1] for r in con.execute(
            f"DESCRIBE SELECT * FROM ({checks.ENRICHED[s.table]})").fetchall()}
        dated = [c for c in s.columns() if types[c] in ("DATE", "TIMESTAMP WITH TIME ZONE")]
        assert not dated, (s.name, dated)


def test_a_suite_without_severity_is_refused(tmp_path):
    doc = json.loads((v.SUITES_DIR / "receipt.json").read_text())
    doc["expectations"][0]["meta"] = {"name": "record_id_present", "severity": "urgent"}
    (tmp_path / "receipt.json").write_text(json.dumps(doc))
    with pytest.raises(v.SuiteError, match="receipt.json.*meta.severity"):
        v.load_suites(tmp_path)


def test_a_suite_for_an_unknown_table_is_refused(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"name": "x", "meta": {"table": "x"},
                                                  "expectations": []}))
    with pytest.raises(v.SuiteError, match="x.json: meta.table 'x'"):
        v.load_suites(tmp_path)


def test_parameters_follow_the_as_of_date():
    p = v.expectation_parameters(dt.date(2026, 1, 31))
    assert (p["as_of"], p["as_of_plus_7d"], p["as_of_plus_366d"]) == (20260131, 20260207, 20270201)
    assert "EUR" in p["iso_4217_codes"] and "XXX" not in p["iso_4217_codes"]
    used = {name for s in v.load_suites() for e in s.doc["expectations"]
            for name in re.findall(r'"\$PARAMETER": "(\w+)"', json.dumps(e["kwargs"]))}
    assert used and used <= set(p)


def test_old_gx_results_and_pages_are_pruned(tmp_path):
    for base in ("uncommitted/validations", "data_docs/validations"):
        for i in range(4):
            run = tmp_path / "gx" / base / "ledger_line" / f"r{i}"
            run.mkdir(parents=True)
            os.utime(run, (1_000_000 + i, 1_000_000 + i))
    v._prune(tmp_path, keep=2)
    for base in ("uncommitted/validations", "data_docs/validations"):
        kept = sorted(p.name for p in (tmp_path / "gx" / base / "ledger_line").iterdir())
        assert kept == ["r2", "r3"]
