"""Validation end to end: every suite on good and bad rows, results, failures, held-back snapshots.

Great Expectations takes seconds to import, so the data of all six suites is validated once per
module and each test reads what that run stored.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from jobs import validate as v
from jobs import warehouse
from jobs.settings import Settings
from jobs.validation_checks import failure_view_sql
from tests.rows import bank, billing, erp, load, purchase_order, receipt, supplier_invoice

AS_OF = dt.date(2026, 1, 31)
EXTRACTED = dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)
D = Decimal


def add_snapshot(con, snapshot_id, system, extracted_at=EXTRACTED, status="ok", n=0):
    con.execute("INSERT INTO snapshot (snapshot_id, source_system, connector, source, content_hash, "
                "extracted_at, record_count, status) VALUES (?, ?, 'test', ?, ?, ?, ?, ?)",
                [snapshot_id, system, f"{snapshot_id}.dat", snapshot_id, extracted_at, n, status])


def put(con, table, snapshot_id, rows, extracted_at=EXTRACTED):
    load(con, table, [{**r, "snapshot_id": snapshot_id, "extracted_at": extracted_at} for r in rows])


def pair(doc, amount, day, **kw):
    """A balanced two-line journal document."""
    return [erp(doc, amount, day, line=1, **kw),
            erp(doc, str(-D(amount)), day, line=2, gl="400000",
                **{k: x for k, x in kw.items() if k != "currency"})]


BANK = [bank(f"B{i}", f"{100 + i}.00", "2026-01-20") for i in range(8)] + [
    bank("BX1", "10", "2026-01-20", currency="ZZZ"),
    bank("BX2", "10", "2026-03-20"),
    bank("BX3", "10", "1985-01-02"),
    bank("BX4", "10", "2026-01-20", value_date=dt.date(2026, 3, 20)),
    bank("BX5", "60", "2026-01-20", entry_seq=9001, detail_seq=1, detail_count=2, entry_amount=D(100)),
    bank("BX6", "30", "2026-01-20", entry_seq=9001, detail_seq=2, detail_count=2, entry_amount=D(100)),
    bank("BX7", "10.5", "2026-01-20", currency="JPY"),
    bank("BX8", "10", "2026-01-20", status="weird"),
    bank("BX9", "60", "2026-01-20", entry_seq=9002, detail_seq=1, detail_count=2, entry_amount=D(90)),
    bank("BX10", "30", "2026-01-20", entry_seq=9002, detail_seq=2, detail_count=2, entry_amount=D(90)),
]
BANK.append(dict(BANK[0]))  # the same record twice in one file

LEDGER = (pair("D1", "100", "2026-01-10") + pair("D2", "250.50", "2026-01-12")
          + pair("D3", "75", "2026-01-15") + [
              erp("DX1", None, "2026-01-10"),
              erp("DX2", "50", "2026-01-10")]
          + pair("DX3", "10", "2026-01-10", currency="ZZZ")
          + pair("DX4", "10", "1985-01-10")
          + pair("DX5", "10", "2027-06-01")
          + pair("DX6", "10.5", "2026-01-10", currency="JPY")
          + [erp("DX7", "5", "2026-01-10", account_type="Z"),
             erp("DX7", "-5", "2026-01-10", line=2, document_date=dt.date(2024, 1, 1))]
          + [erp("DX8", "7", "2026-01-10", gl=None),
             erp("DX8", "-7", "2026-01-10", line=2, account_type=None)])

BILLING = [
    billing("ch_1", "charge", "100", "2026-01-10", fee=D("3.20"), net=D("96.80")),
    billing("re_1", "refund", "-50", "2026-01-11", fee=D(0), net=D(-50)),
    billing("po_1", "payout", "500", "2026-01-12", fee=D(1), net=D(501)),
    billing("ch_2", "charge", "20", "2026-01-13"),
    billing("ch_x1", "charge", "100", "2026-01-10", fee=D(3), net=D(90)),
    billing("ch_x2", "charge", "10", "2026-03-01"),
    billing("dp_x3", "dispute", "10", "2026-01-10"),
    billing("ch_x4", "charge", "10", "2026-01-10", currency="ZZZ"),
]

POS = [purchase_order("PO1", 1, "100", "2026-01-05"), purchase_order("PO2", 1, "100", "2026-01-05"),
       purchase_order("PO3", 0, "10", "2026-01-05"), purchase_order("PO4", 1, "10", "2026-01-05")]
PO_LINES = [{"po_record_id": POS[0]["record_id"], "line_num": 1, "po_number": "PO1", "version": 1,
             "quantity": D(1), "price": D(60), "total": D(60)},
            {"po_record_id": POS[0]["record_id"], "line_num": 2, "po_number": "PO1", "version": 1,
             "quantity": D(1), "price": D(40), "total": D(40)},
            {"po_record_id": POS[1]["record_id"], "line_num": 1, "po_number": "PO2", "version": 1,
             "quantity": D(1), "price": D(90), "total": D(90)}]
RECEIPTS = [receipt("R1", "PO1", "5", "2026-01-06"), receipt("R2", "PO1", "5", "2026-05-01"),
            {**receipt("R3", "PO1", "5", "2026-01-06"), "line_num": 0}]
INVOICES = [supplier_invoice("I1", "INV-1", "PO1", "100", "2026-01-07"),
            supplier_invoice("I2", "INV-2", "PO2", "100", "2026-01-07"),
            {**supplier_invoice("I3", "INV-3", "PO1", "10", "2026-01-07"), "invoice_date": None},
            supplier_invoice("I4", "INV-4", "PO1", "10", "1980-01-07"),
            {**supplier_invoice("I5", "INV-5", "PO1", "10", "2026-01-07"), "currency": "ZZZ"}]
INVOICE_LINES = [{"invoice_record_id": INVOICES[0]["record_id"], "line_seq": 1, "quantity": D(1),
                  "price": D(100), "total": D(100)},
                 {"invoice_record_id": INVOICES[1]["record_id"], "line_seq": 1, "quantity": D(1),
                  "price": D(90), "total": D(90)}]

# (suite, expectation) → source_refs that must fail it; every other pair must pass.
EXPECTED = {
    ("bank_transaction", "currency_iso_4217"): {"BX1"},
    ("bank_transaction", "booking_date_plausible"): {"BX2", "BX3"},
    ("bank_transaction", "value_date_plausible"): {"BX3"},
    ("bank_transaction", "value_date_near_booking_date"): {"BX4"},
    ("bank_transaction", "batch_details_sum_to_entry"): {"BX5", "BX6"},
    ("bank_transaction", "amount_fits_currency_minor_units"): {"BX7"},
    ("bank_transaction", "status_known"): {"BX8"},
    ("bank_transaction", "record_id_unique_in_snapshot"): {"B0"},
    ("bank_transaction", "source_ref_unique_in_snapshot"): {"B0"},
    ("ledger_line", "amount_present"): {"DE01/2026/DX1/1"},
    ("ledger_line", "journal_document_balanced"): {"DE01/2026/DX2/1"},
    ("ledger_line", "currency_iso_4217"): {"DE01/2026/DX3/1"},
    ("ledger_line", "posting_date_plausible"): {"DE01/2026/DX4/1", "DE01/2026/DX4/2",
                                                "DE01/2026/DX5/1", "DE01/2026/DX5/2"},
    ("ledger_line", "amount_fits_currency_minor_units"): {"DE01/2026/DX6/1"},
    ("ledger_line", "account_type_known"): {"DE01/2026/DX7/1"},
    ("ledger_line", "posting_near_document_date"): {"DE01/2026/DX7/2"},
    ("ledger_line", "gl_account_present"): {"DE01/2026/DX8/1"},
    ("ledger_line", "account_type_present"): {"DE01/2026/DX8/2"},
    ("billing_event", "net_is_amount_minus_fee"): {"ch_x1"},
    ("billing_event", "created_plausible"): {"ch_x2"},
    ("billing_event", "kind_known"): {"dp_x3"},
    ("billing_event", "currency_iso_4217"): {"ch_x4"},
    ("purchase_order", "lines_sum_to_total"): {"PO2#v1"},
    ("purchase_order", "version_positive"): {"PO3#v0"},
    ("receipt", "received_plausible"): {"R2"},
    ("receipt", "line_num_positive"): {"R3"},
    ("supplier_invoice", "lines_sum_to_total"): {"I2"},
    ("supplier_invoice", "invoice_date_present"): {"I3"},
    ("supplier_invoice", "invoice_date_plausible"): {"I4"},
    ("supplier_invoice", "currency_iso_4217"): {"I5"},
}
GOOD = {"B1", "DE01/2026/D1/1", "ch_1", "re_1", "po_1", "PO1#v1", "R1", "I1"}


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    home = tmp_path_factory.mktemp("validate")
    con = warehouse.connect(home)
    for sid, system, table, rows in [("s_bank", "bank", "bank_transaction", BANK),
                                     ("s_erp", "erp", "ledger_line", LEDGER),
                                     ("s_billing", "billing", "billing_event", BILLING),
                                     ("s_po", "procurement", "purchase_order", POS),
                                     ("s_receipt", "procurement", "receipt", RECEIPTS),
                                     ("s_invoice", "procurement", "supplier_invoice", INVOICES)]:
        add_snapshot(con, sid, system, n=len(rows))
        put(con, table, sid, rows)
    load(con, "purchase_order_line", PO_LINES)
    load(con, "supplier_invoice_line", INVOICE_LINES)
    settings = Settings.load(home=home)
    report = v.validate(con, settings, "r1", AS_OF)
    yield con, settings, report
    con.close()


def _failures(con, run_id="r1"):
    got: dict[tuple[str, str], set[str]] = {}
    for suite, expectation, ref in con.execute(
            "SELECT f.suite, f.expectation, t.source_ref FROM record_failure f JOIN ("
            + " UNION ALL ".join(f"SELECT record_id, snapshot_id, source_ref FROM {t}"
                                 for t in ("bank_transaction", "ledger_line", "billing_event",
                                           "purchase_order", "receipt", "supplier_invoice"))
            + ") t USING (record_id, snapshot_id) WHERE f.run_id = ?", [run_id]).fetchall():
        got.setdefault((suite, expectation), set()).add(ref)
    return got


def test_each_expectation_fails_exactly_the_bad_rows(validated):
    con, _, _ = validated
    assert _failures(con) == EXPECTED


def test_good_rows_pass_every_expectation(validated):
    con, _, _ = validated
    failed = set().union(*_failures(con).values())
    assert not GOOD & failed


def test_results_per_snapshot_and_expectation(validated):
    con, _, report = validated
    rows = con.execute("SELECT snapshot_id, suite, expectation, severity, success, evaluated_count, "
                       "unexpected_count, sample_ids, run_id FROM validation_result").fetchall()
    suites = {s.name: s for s in v.load_suites()}
    assert len(rows) == sum(len(s.doc["expectations"]) for s in suites.values())
    by_key = {(r[1], r[2]): r for r in rows}
    currency = by_key[("bank_transaction", "currency_iso_4217")]
    assert currency[0] == "s_bank" and currency[3] == "critical" and currency[4] is False
    assert currency[5] == len(BANK) and currency[6] == 1 and currency[8] == "r1"
    assert currency[7] == f'["{BANK[8]["record_id"]}"]'
    assert by_key[("receipt", "record_id_present")][4:7] == (True, len(RECEIPTS), 0)
    assert report.results == len(rows)
    assert report.passed == sum(r[4] for r in rows)
    assert 0 < report.pass_rate < 1


def test_failure_severity_follows_the_suite_file(validated):
    con, _, _ = validated
    severities = dict(con.execute("SELECT DISTINCT expectation || '@' || suite, severity "
                                  "FROM record_failure").fetchall())
    assert severities["status_known@bank_transaction"] == "warning"
    assert severities["journal_document_balanced@ledger_line"] == "critical"
    assert severities["net_is_amount_minus_fee@billing_event"] == "warning"


def test_validated_snapshots_are_not_validated_again(validated):
    con, settings, report = validated
    assert sorted(report.snapshots) == ["s_bank", "s_billing", "s_erp", "s_invoice", "s_po",
                                        "s_receipt"]
    again = v.validate(con, settings, "r1-again", AS_OF, docs=False)
    assert again.snapshots == [] and again.results == 0


def test_data_docs_site_is_built(validated):
    _, settings, report = validated
    assert report.docs == v.docs_index(settings.home) and report.docs.exists()
    pages = list((settings.home / v.GX_DIR / v.DOCS_DIR / "validations").rglob("*.html"))
    assert len(pages) == 6


def test_failure_view_names_the_expectation_once_per_record(validated):
    con, _, _ = validated
    rows = {r[0]: r for r in con.execute(failure_view_sql()).fetchall()}
    dx4 = next(r["record_id"] for r in LEDGER if r["source_ref"] == "DE01/2026/DX4/1")
    assert rows[dx4][1:] == ("erp", "ledger_line: posting_date_plausible")
    warning_only = next(r["record_id"] for r in BANK if r["source_ref"] == "BX8")
    assert warning_only not in rows


def test_held_back_snapshot_keeps_the_last_good_version(tmp_path):
    con = warehouse.connect(tmp_path)
    settings = Settings.load(home=tmp_path)
    good = pair("D1", "100", "2026-01-10")
    add_snapshot(con, "s_good", "erp", EXTRACTED, n=2)
    put(con, "ledger_line", "s_good", good)
    v.validate(con, settings, "r1", AS_OF, docs=False)
    later = EXTRACTED + dt.timedelta(hours=1)
    bad = [{**good[0], "currency": "ZZZ"}, {**good[1], "currency": "QQQ"},
           erp("D9", "1", "2026-01-10")]
    add_snapshot(con, "s_bad", "erp", later, n=3)
    put(con, "ledger_line", "s_bad", bad, later)
    report = v.validate(con, settings, "r2", AS_OF, docs=False)
    assert list(report.held_back) == ["s_bad"]
    status, error = con.execute("SELECT status, error FROM snapshot WHERE snapshot_id = 's_bad'").fetchone()
    assert status == "held_back"
    assert "3 of 3 records (100%)" in error and "ledger_line: currency_iso_4217 (2)" in error
    current = con.execute(f"SELECT source_ref, snapshot_id, currency FROM "
                          f"({warehouse.current_view_sql('ledger_line')}) ORDER BY 1").fetchall()
    assert current == [("DE01/2026/D1/1", "s_good", "EUR"), ("DE01/2026/D1/2", "s_good", "EUR")]
    assert con.execute(failure_view_sql()).fetchall() == []
    # Fixed data re-validated on request releases the snapshot.
    con.execute("UPDATE ledger_line SET currency = 'EUR', amount = 1, amount_local = 0 "
                "WHERE snapshot_id = 's_bad'")
    released = v.validate(con, settings, "r3", AS_OF, snapshot_ids=["s_bad"], docs=False)
    assert released.held_back == {}
    assert con.execute("SELECT status, error FROM snapshot WHERE snapshot_id = 's_bad'").fetchone() == ("ok", None)
    assert con.execute("SELECT count(DISTINCT run_id) FROM record_failure "
                       "WHERE snapshot_id = 's_bad'").fetchone()[0] <= 1


def test_an_expectation_that_cannot_run_stops_the_run(tmp_path):
    suites = tmp_path / "suites"
    suites.mkdir()
    doc = json.loads((v.SUITES_DIR / "receipt.json").read_text())
    doc["expectations"].append({"type": "expect_column_values_to_be_between",
                                "kwargs": {"column": "po_number", "min_value": 1},
                                "meta": {"name": "text_as_number", "severity": "warning"}})
    (suites / "receipt.json").write_text(json.dumps(doc))
    con = warehouse.connect(tmp_path)
    add_snapshot(con, "s_r", "procurement", n=1)
    put(con, "receipt", "s_r", RECEIPTS[:1])
    with pytest.raises(v.SuiteError, match="receipt.json: expectation text_as_number could not"):
        v.validate(con, Settings.load(home=tmp_path), "r1", AS_OF, suites_dir=suites, docs=False)
    assert con.execute("SELECT count(*) FROM validation_result").fetchone()[0] == 0


def test_journal_balance_counts_lines_delivered_earlier(tmp_path):
    """An ERP delta export may carry one line of a document whose other line came before."""
    con = warehouse.connect(tmp_path)
    settings = Settings.load(home=tmp_path)
    first, second = pair("D1", "100", "2026-01-10")
    add_snapshot(con, "s_1", "erp", n=1)
    put(con, "ledger_line", "s_1", [first])
    add_snapshot(con, "s_2", "erp", EXTRACTED + dt.timedelta(hours=1), n=1)
    put(con, "ledger_line", "s_2", [second], EXTRACTED + dt.timedelta(hours=1))
    v.validate(con, settings, "r1", AS_OF, snapshot_ids=["s_2"], docs=False)
    assert con.execute("SELECT count(*) FROM record_failure").fetchone()[0] == 0
