"""Lineage, Data quality, Jobs and Close review pages with AppTest, against the fixture run."""

from __future__ import annotations

import json

import duckdb

from tests.published_fixture import IBAN, build_published, generate
from tests.test_app_pages import assert_clean, run_app


def test_lineage_follows_an_identifier_across_systems(env):
    at = run_app("lineage", query={"id": "ref 00003"})  # case and punctuation do not matter
    assert_clean(at)
    titles = [e.label for e in at.expander]
    assert any("billing" in t and "REF-00003" in t for t in titles)
    assert any(t.startswith("**erp**") for t in titles)  # its matched ERP line
    assert len(at.get("plotly_chart")) == 1  # the timeline
    assert "**2** records in billing, erp, **1** match group" in at.markdown[0].value


def test_lineage_masks_raw_payloads_for_non_it_roles(env):
    at = run_app("lineage", query={"id": "REF-00141"})
    payload = json.dumps([json.loads(j.proto.body) for j in at.json])
    assert IBAN not in payload and "DE89 **** **** **** 3000" in payload
    at.segmented_control(key="role").set_value("it").run()
    assert IBAN in json.dumps([json.loads(j.proto.body) for j in at.json])


def test_lineage_says_when_nothing_matches(env):
    at = run_app("lineage", query={"id": "NO-SUCH-REF-42"})
    assert_clean(at)
    assert "No record in this run has the identifier" in at.info[0].value


def test_data_quality_figures_and_missing_alerts(env):
    at = run_app("quality")
    assert_clean(at)
    tiles = {m.label: m.value for m in at.metric}
    # fixture: 3 periods x 4 sources x 3 expectations; 3 erp warnings + 1 bank critical failed
    assert tiles["Pass rate (all sources)"] == f"{32 / 36:.1%}"
    assert tiles["Critical expectations failed"] == "1"
    assert tiles["Quarantined files"] == "1"
    assert "No data quality checks yet" in at.info[0].value
    assert len(at.get("plotly_chart")) == 2


def test_data_quality_shows_alerts_when_the_run_has_them(monkeypatch, tmp_path):
    path = build_published(tmp_path, generate(seed=3, n_records=60))
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE data_quality_alert (run_id VARCHAR, source_system VARCHAR, "
                    "kind VARCHAR, severity VARCHAR, message VARCHAR, created_at TIMESTAMPTZ)")
        con.execute("INSERT INTO data_quality_alert VALUES ('r1', 'bank', 'volume', 'warning', "
                    "'bank: 40% fewer records than the 7-day median', now())")
    monkeypatch.setenv("RECON_HOME", str(tmp_path))
    monkeypatch.setenv("RECON_WORKFLOW_URL", f"sqlite:///{tmp_path / 'wf.sqlite'}")
    at = run_app("quality")
    assert_clean(at)
    assert not at.info
    assert any("fewer records" in str(v) for d in at.dataframe for v in d.value.get(
        "message", []))


def test_jobs_page_and_run_now_for_it_only(env):
    at = run_app("jobs")
    assert_clean(at)
    assert at.button(key="run_now").disabled  # controllers do not run jobs
    assert {m.label: m.value for m in at.metric}["Failed runs"] == "1"
    assert "IOException" in at.expander[0].label  # the failed run, with its traceback inside
    assert "Traceback" in at.expander[0].code[0].value
    at.segmented_control(key="role").set_value("it").run()
    assert not at.button(key="run_now").disabled
    at.button(key="run_now").click().run()  # no source folder in the fixture home
    assert "does not exist" in at.warning[0].value


def test_close_review_and_its_pack(env, downloads):
    at = run_app("close")
    assert_clean(at)
    assert at.selectbox(key="close").value == "2025-10"  # the latest period already ended
    tiles = {m.label: m.value for m in at.metric}
    open_in_october = sum(x["status"] == "open" and x["event_date"].strftime("%Y-%m") == "2025-10"
                          for x in generate().exceptions)
    assert tiles["Unreconciled items"] == str(open_in_october)
    assert "Late" in at.markdown[0].value  # 2025-10 closed on 7 Nov; as of 14 Nov
    make, mime = downloads["close-review-2025-10.html"]
    page = make().decode("utf-8")
    assert mime == "text/html" and page.startswith("<!DOCTYPE html>")
    assert page.count("plotly.js v") == 1  # plotly.js embedded once, for three charts
    assert page.count("Plotly.newPlot(") == 3 and "Close review 2025-10" in page

    at.selectbox(key="close").select("2025-11").run()
    assert "On track" in at.markdown[0].value or "At risk" in at.markdown[0].value
