"""The Exceptions page with AppTest: workflow actions persist in the store and show after the
rerun, a stale screen is refused, and the export downloads exactly the filtered view."""

from __future__ import annotations

import csv
import io

import duckdb
import openpyxl
import pytest

from jobs import export, workflow
from jobs.published import current_path
from tests.published_fixture import IBAN
from tests.test_app_pages import assert_clean, run_app


def select(at, rows: list[int]):
    """Select table rows the way a click does (the table's selection state)."""
    table = at.dataframe[0]
    at.session_state[table.key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def shown_ids(at, rows: list[int]) -> list[str]:
    return [at.dataframe[0].value["exception_id"].iloc[i] for i in rows]


def store(tmp_path) -> workflow.Store:
    return workflow.open_store(tmp_path, f"sqlite:///{tmp_path / 'workflow.sqlite'}")


def count_in_view(at) -> int:
    return int(at.markdown[0].value.split("**")[1].replace(",", ""))


def test_resolve_persists_and_leaves_the_open_view(env, tmp_path):
    at = run_app("exceptions")
    before = count_in_view(at)
    at = select(at, [0, 2])
    ids = shown_ids(at, [0, 2])
    assert any(f"Applies to 2 exception(s): {ids[0]}" in c.value for c in at.caption)
    at.segmented_control(key="act_action").set_value("resolve").run()
    at.selectbox(key="act_reason").select("Duplicate reversed")
    at.text_area(key="act_comment").input("reversed by the bank on the 12th")
    at.button(key="act_apply").click().run()
    assert_clean(at)
    assert "Resolved 2 exceptions." in at.success[0].value
    assert count_in_view(at) == before - 2
    saved = workflow.state(store(tmp_path), ids)
    assert {s.status for s in saved.values()} == {"resolved"}
    trail = workflow.history(store(tmp_path), ids[0])
    assert [(e.action, e.actor, e.role, e.reason, e.comment) for e in trail] == [
        ("resolve", "ana", "controller", "Duplicate reversed", "reversed by the bank on the 12th")]

    at.multiselect(key="status").select("resolved").unselect("open").run()
    assert count_in_view(at) == 2
    at = select(at, [0])
    assert any(s.value.startswith("Exception ") for s in at.subheader)  # the detail panel
    assert "Duplicate reversed" in at.dataframe[-1].value["reason"].tolist()


def test_a_stale_screen_is_refused(env, tmp_path):
    """Bob assigns the exception while Ana's screen still shows it unassigned: her resolve is
    refused, nothing is overwritten, and after the reload she can act."""
    at = select(run_app("exceptions"), [1])
    target = shown_ids(at, [1])[0]
    at.segmented_control(key="act_action").set_value("resolve").run()
    at.selectbox(key="act_reason").select("Duplicate reversed")
    workflow.record(store(tmp_path), [target], "assign", "bob", "controller", assignee="bob")
    at.button(key="act_apply").click().run()
    assert "changed by someone else" in at.warning[0].value
    assert workflow.state(store(tmp_path), [target])[target].status == "open"
    assert at.dataframe[0].value.set_index("exception_id").loc[target, "assignee"] == "bob"
    at.selectbox(key="act_reason").select("Duplicate reversed")
    at.button(key="act_apply").click().run()
    assert "Resolved 1 exception." in at.success[0].value


def test_assign_the_whole_view(env, tmp_path):
    at = run_app("exceptions")
    at.multiselect(key="workflow").select("procure_to_pay").run()
    n = count_in_view(at)
    at.segmented_control(key="act_scope").set_value("view").run()
    at.text_input(key="act_assignee").input("carla")
    at.button(key="act_apply").click().run()
    assert f"Assigned {n} exceptions." in at.success[0].value
    assigned = workflow.state(store(tmp_path))
    assert len(assigned) == n and {s.assignee for s in assigned.values()} == {"carla"}
    at.multiselect(key="assignee").select("carla").run()
    assert count_in_view(at) == n


@pytest.mark.usefixtures("env")
def test_export_downloads_exactly_the_filtered_view(downloads, home, tmp_path):
    at = run_app("exceptions")
    at.multiselect(key="workflow").select("bank_to_ledger").run()
    at.multiselect(key="age").select(">90").select("61-90").run()
    n = count_in_view(at)
    assert n > 0
    csv_file = next(name for name in downloads if name.endswith(".csv"))
    make, mime = downloads[csv_file]
    assert mime == "text/csv"
    rows = list(csv.DictReader(io.StringIO(make().decode("utf-8"))))
    assert len(rows) == n
    assert {r["workflow"] for r in rows} == {"bank_to_ledger"}
    assert list(rows[0])[:len(export.EXCEPTION_COLUMNS)] == export.EXCEPTION_COLUMNS

    # the same bytes as the exception report made by jobs.export (what `recon export` uses)
    report = {"workflow": ["bank_to_ledger"], "age_bucket": [">90", "61-90"],
              "status": ["open"]}
    expected = tmp_path / "expected.csv"
    with duckdb.connect(str(current_path(home)), read_only=True) as con:
        export.write(export.exceptions_table(con, report, overlay=workflow.overlay(
            store(tmp_path))), expected, "csv")
    assert make() == expected.read_bytes()

    xlsx_make, _ = downloads[csv_file.replace(".csv", ".xlsx")]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_make()))["exceptions"]
    assert sheet.max_row == n + 1


def test_detail_masks_account_numbers_except_for_it(env):
    at = run_app("exceptions", query={"exception": "x-bank:bank_to_ledger:00141"})
    assert_clean(at)
    raw = " ".join(str(v) for v in at.dataframe[-1].value["raw"].dropna())
    assert IBAN not in raw and "DE89 **** **** **** 3000" in raw
    at.segmented_control(key="role").set_value("it").run()
    raw = " ".join(str(v) for v in at.dataframe[-1].value["raw"].dropna())
    assert IBAN in raw
    assert at.segmented_control(key="act_action").options == ["Comment"]  # IT only comments
