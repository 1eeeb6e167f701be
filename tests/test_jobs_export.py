"""Exception and match reports: SPEC §10 columns, filters, spreadsheet safety, XLSX formatting."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from jobs.export import EXCEPTION_COLUMNS, MATCH_COLUMNS, exceptions_table, matches_table, write
from jobs.published import open_current
from tests.rows import balanced, bank, erp, publish_rows

AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def published(tmp_path):
    publish_rows(tmp_path, [
        bank("B1", "100.00", "2026-01-20", e2e="PAY-1"),
        bank("=HYPERLINK(\"http://x\")", "20.00", "2026-01-29"),
        bank("B3", "400.00", "2026-01-05", e2e="INV-3"),
    ], balanced(erp("D1", "100.00", "2026-01-20", ref="PAY-1"))
       + balanced(erp("D3", "1000.00", "2026-01-05", ref="INV-3")), AS_OF)
    con = open_current(tmp_path)
    yield con
    con.close()


def test_exception_report_columns_and_rows(published):
    table = exceptions_table(published)
    assert table.column_names[:len(EXCEPTION_COLUMNS)] == EXCEPTION_COLUMNS
    rows = {r["source_ref"]: r for r in table.to_pylist()}
    assert set(rows) == {'=HYPERLINK("http://x")', "B3", "DE01/2026/D3/1"}
    b3 = rows["B3"]
    assert (b3["cause"], b3["sub_cause"]) == ("amount_variance", "partial_payment")
    assert (b3["counterpart_system"], b3["counterpart_ref"]) == ("erp", "DE01/2026/D3/1")
    assert b3["age_days"] == 26 and b3["queue"] == "accounts-receivable"
    assert str(b3["difference"]) == "-600.0000"


def test_filters_use_allowlisted_columns(published):
    assert exceptions_table(published, {"cause": ["timing_difference"]}).num_rows == 1
    with pytest.raises(ValueError, match="cannot filter"):
        exceptions_table(published, {"amount; DROP TABLE x": ["1"]})


def test_csv_neutralises_formulas(published, tmp_path):
    path = tmp_path / "x.csv"
    write(exceptions_table(published), path, "csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    refs = {r["source_ref"] for r in rows}
    assert "'=HYPERLINK(\"http://x\")" in refs
    amounts = {r["source_ref"]: r["amount"] for r in rows}
    assert amounts["DE01/2026/D3/1"] == "1000"  # numbers stay numbers, negative or not


def test_xlsx_is_formatted_and_never_a_formula(published, tmp_path):
    path = tmp_path / "x.xlsx"
    n = write(exceptions_table(published), path, "xlsx", sheet="exceptions")
    ws = openpyxl.load_workbook(path)["exceptions"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref is not None
    assert [c.value for c in ws[1]][:len(EXCEPTION_COLUMNS)] == EXCEPTION_COLUMNS
    cells = [c for row in ws.iter_rows(min_row=2) for c in row]
    formula = [c for c in cells if c.data_type == "f"]
    assert not formula
    assert ws.max_row == n + 1


def test_matches_report_one_row_per_pair(published):
    table = matches_table(published)
    assert table.column_names == MATCH_COLUMNS
    rows = table.to_pylist()
    assert [(r["left_ref"], r["right_ref"], r["rule"]) for r in rows] == [
        ("B1", "DE01/2026/D1/1", "exact_reference")]


def test_published_lineage_finds_records_by_any_identifier(published):
    key = "PAY1"  # the end-to-end id PAY-1, normalised
    ids = [r[0] for r in published.execute(
        "SELECT record_id FROM lineage_key WHERE key = ?", [key]).fetchall()]
    rows = published.execute(
        "SELECT source_system, source_ref, match_id, snapshot_id FROM record WHERE record_id IN "
        "(SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()
    assert sorted(r[:2] for r in rows) == [("bank", "B1"), ("erp", "DE01/2026/D1/1")]
    assert len({r[2] for r in rows}) == 1 and rows[0][2].startswith("m_")
    assert all(r[3] == "s_test" for r in rows)


def test_xlsx_refuses_more_rows_than_a_worksheet_holds(tmp_path, monkeypatch):
    """xlsxwriter drops rows past the sheet's end without an error: refuse instead."""
    import pyarrow as pa

    from jobs import export

    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 3)
    table = pa.table({"exception_id": ["a", "b", "c", "d"]})
    with pytest.raises(export.ExportTooLarge, match="4 rows do not fit"):
        export.write_xlsx(table, tmp_path / "x.xlsx")
    assert export.write_xlsx(table.slice(0, 3), tmp_path / "ok.xlsx") == 3
