"""ERP line-item CSV connector: plain, SAP and ACDOCA exports, defects kept, bad files rejected."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import RejectedFile, payload_hash, record_key
from connectors.erp.line_items import ErpLineItemConnector

FIXTURES = Path(__file__).parent / "fixtures" / "erp"
CORPUS = Path(__file__).parents[2] / "shared" / "corpus" / "erp"
HEADER = "company_code,fiscal_year,document_number,line_item,posting_date,gl_account,amount,currency"


def rows(path: Path, **options) -> list[dict]:
    return ErpLineItemConnector(**options).read(path).tables["ledger_line"].to_pylist()


def write(tmp_path: Path, text: str, name: str = "lines.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_plain_export_is_typed_with_lineage():
    lines = rows(FIXTURES / "plain_lines.csv")
    assert len(lines) == 6
    first = lines[0]
    assert first["source_ref"] == "DE01/2024/1800000123/1"
    assert first["record_id"] == record_key("erp", "DE01", 2024, "1800000123", 1)
    assert first["source_system"] == "erp" and first["source_position"] == 0
    assert first["amount"] == Decimal("1190.00") and isinstance(first["amount"], Decimal)
    assert first["posting_date"] == dt.date(2024, 3, 4)
    assert first["entry_timestamp"] == dt.datetime(2024, 3, 4, 8, 15, tzinfo=dt.UTC)
    assert first["account_type"] == "D" and first["customer"] == "C-1001"
    assert first["correlation_id"] == "INV-2024-0042"
    raw = json.loads(first["raw"])
    assert raw["amount"] == "1190.00" and "vendor" not in raw  # empty fields are left out
    assert first["payload_hash"] == payload_hash(first["raw"])


def test_vendor_line_carries_purchase_order_as_correlation_and_naive_time_in_utc():
    vendor = rows(FIXTURES / "plain_lines.csv")[3]
    assert vendor["account_type"] == "K" and vendor["vendor"] == "V-2002"
    assert vendor["amount"] == Decimal("-500.00") and vendor["amount_local"] == Decimal("-462.50")
    assert vendor["correlation_id"] == "4500001234"
    assert vendor["clearing_date"] == dt.date(2024, 3, 20)
    assert vendor["entry_timestamp"] == dt.datetime(2024, 3, 5, 14, 0, tzinfo=dt.UTC)


def test_unreadable_values_keep_the_row_with_nulls_and_are_counted():
    batch = ErpLineItemConnector().read(FIXTURES / "plain_lines.csv")
    broken = batch.tables["ledger_line"].to_pylist()[5]
    assert broken["amount"] is None and broken["posting_date"] is None
    assert json.loads(broken["raw"])["amount"] == "12.3x"
    problems = {p["column"]: p for p in batch.control["unreadable_values"]}
    assert problems["amount"]["rows"] == 1 and problems["amount"]["first"] == "line 7"
    assert problems["posting_date"]["source_column"] == "posting_date"


def test_sap_technical_names_semicolons_decimal_comma_and_debit_credit_sign():
    batch = ErpLineItemConnector(timezone="Europe/Berlin").read(FIXTURES / "sap_semicolon_comma.csv")
    lines = batch.tables["ledger_line"].to_pylist()
    assert batch.control["mapping"] == "sap" and batch.control["decimal"] == ","
    assert [ln["amount"] for ln in lines[:4]] == [Decimal("1234.56"), Decimal("-1234.56"),
                                                  Decimal("-99.90"), Decimal("99.90")]
    # the line item is read as a number, the reference keeps it as written (SPEC §10)
    assert lines[0]["line_item"] == 1 and lines[0]["source_ref"] == "1000/2024/0100000001/001"
    assert lines[0]["posting_date"] == dt.date(2024, 3, 4)
    assert lines[0]["entry_timestamp"] == dt.datetime(2024, 3, 4, 9, 15, tzinfo=dt.UTC)
    assert lines[2]["vendor"] == "0000200002" and lines[2]["trading_partner"] == "2000"
    assert lines[0]["clearing_date"] is None  # SAP's 00000000 means "not cleared"


def test_a_debit_with_a_negative_amount_is_a_contradiction_not_a_guess():
    batch = ErpLineItemConnector().read(FIXTURES / "sap_semicolon_comma.csv")
    last = batch.tables["ledger_line"].to_pylist()[4]
    assert last["amount"] is None and last["amount_local"] == Decimal("5.00")
    assert {p["column"] for p in batch.control["unreadable_values"]} == {"amount"}


def test_acdoca_preset_keeps_the_leading_ledger_and_reads_utc_timestamps():
    batch = ErpLineItemConnector(mapping="sap_acdoca").read(FIXTURES / "acdoca_style.csv")
    lines = batch.tables["ledger_line"].to_pylist()
    assert len(lines) == 2 and batch.control["other_ledger_rows_skipped"] == 2
    assert [ln["amount"] for ln in lines] == [Decimal("2949.00"), Decimal("-2949.00")]
    assert lines[1]["source_ref"] == "3000/2024/0200001076/000002"  # DOCLN as written
    assert lines[1]["account_type"] == "D" and lines[1]["reference"] == "90004711"
    assert lines[0]["entry_timestamp"] == dt.datetime(2024, 6, 1, 9, 22, 26, tzinfo=dt.UTC)


def test_acdoca_is_detected_without_naming_the_preset():
    batch = ErpLineItemConnector().read(FIXTURES / "acdoca_style.csv")
    assert batch.control["mapping"] == "sap_acdoca"


def test_custom_mapping_with_a_debit_credit_column():
    mapping = {"company_code": "Entity", "fiscal_year": "Year", "document_number": "Journal",
               "line_item": "Line", "posting_date": "Date", "gl_account": "Account",
               "customer": "Customer Id", "amount": "Value", "currency": "Ccy", "text": "Memo"}
    connector = ErpLineItemConnector(mapping=mapping, debit_credit="Dr/Cr")
    path = FIXTURES / "custom_columns.csv"
    assert connector.sniff(path.read_bytes(), path)
    lines = connector.read(path).tables["ledger_line"].to_pylist()
    assert [ln["amount"] for ln in lines] == [Decimal("250.00"), Decimal("-250.00")]
    assert lines[0]["account_type"] == "D" and lines[1]["account_type"] == "S"


def test_sap_trailing_minus_and_thousands(tmp_path):
    path = write(tmp_path, f"{HEADER}\nDE01,2024,7,1,2024-01-02,1,\"1,234.50-\",EUR\n"
                           "DE01,2024,7,2,2024-01-02,1,+1234.5000,EUR\n")
    assert [ln["amount"] for ln in rows(path)] == [Decimal("-1234.50"), Decimal("1234.5")]


def test_more_than_four_decimals_is_not_rounded(tmp_path):
    path = write(tmp_path, f"{HEADER}\nDE01,2024,7,1,2024-01-02,1,1.00005,EUR\n"
                           "DE01,2024,7,2,2024-01-02,1,1.230000,EUR\n")
    assert [ln["amount"] for ln in rows(path)] == [None, Decimal("1.23")]


def test_exact_repeats_are_dropped_conflicts_reject(tmp_path):
    line = "DE01,2024,7,1,2024-01-02,1,5,EUR"
    batch = ErpLineItemConnector().read(write(tmp_path, f"{HEADER}\n{line}\n{line}\n"))
    assert batch.record_count() == 1 and batch.control["exact_repeats_dropped"] == 1
    with pytest.raises(RejectedFile, match="appears 2 times with different content") as err:
        rows(write(tmp_path, f"{HEADER}\n{line}\n{line[:-5]}6,EUR\n", "conflict.csv"))
    assert err.value.record == "line 2"


def test_header_only_file_is_an_empty_batch(tmp_path):
    batch = ErpLineItemConnector().read(write(tmp_path, HEADER + "\n"))
    assert batch.record_count() == 0


def test_header_names_with_quotes_stay_data(tmp_path):
    path = write(tmp_path, HEADER + ",\"it's \"\"odd\"\"\"\nDE01,2024,7,1,2024-01-02,1,5,EUR,x'); DROP\n")
    raw = json.loads(rows(path)[0]["raw"])
    assert raw["it's \"odd\""] == "x'); DROP"


@pytest.mark.parametrize(("text", "problem", "record"), [
    ("", "file is empty", None),
    (HEADER + "\nDE01,2024,,1,2024-01-02,1,5,EUR\n", "without a document identity; first: no "
     "document_number (document_number)", "line 2"),
    (HEADER + "\nDE01,2024,7,x,2024-01-02,1,5,EUR\n", "no line_item", "line 2"),
    (HEADER + "\nDE01,2024,7,1,2024-01-02,1,5,EUR,extra\n", "CSV cannot be parsed", None),
    ("company_code,document_number,amount\nDE01,1,5\n", "missing fiscal_year", "line 1"),
    ("bukrs,belnr,gjahr,budat,waers\n1000,1,2024,20240101,EUR\n", "missing line_item (buzei), "
     "gl_account (hkont / saknr), amount (wrbtr)", "line 1"),
    ("{\"object\": \"list\"}", "not a delimited text file", "line 1"),
])
def test_bad_files_are_rejected_naming_record_and_problem(tmp_path, text, problem, record):
    with pytest.raises(RejectedFile) as err:
        rows(write(tmp_path, text))
    assert problem in err.value.problem
    assert err.value.record == record
    assert str(tmp_path) in str(err.value)


def test_sniff_claims_line_item_headers_only():
    connector = ErpLineItemConnector()
    for name in ("plain_lines.csv", "sap_semicolon_comma.csv", "acdoca_style.csv"):
        path = FIXTURES / name
        assert connector.sniff(path.read_bytes()[:4096], path)
    for head in (b"billing_customer_id,erp_customer,name,company_code\n", b'{"object": "list"}',
                 b"<?xml version='1.0'?><Document/>", b":20:STATEMENT\n", b"just text\n"):
        assert not connector.sniff(head, Path("x"))


def test_configuration_errors_fail_early():
    with pytest.raises(ValueError, match="unknown ERP mapping preset"):
        ErpLineItemConnector(mapping="oracle")
    with pytest.raises(ValueError, match="unknown column"):
        ErpLineItemConnector(mapping={"amout": "WRBTR"})
    with pytest.raises(ValueError, match="decimal separator"):
        ErpLineItemConnector(decimal=";")
    with pytest.raises(Exception, match="Mars"):
        ErpLineItemConnector(timezone="Mars/Olympus")


CORPUS_OUTCOMES = {
    "fivetran-dbt-sap/sap_bsak_bck_data.csv": 2,
    "fivetran-dbt-sap/sap_bsad_bck_data.csv": 2,
    "fivetran-dbt-sap/sap_faglflexa_data.csv": 3,
    "fivetran-dbt-sap/sap_acdoca_data.csv": "without a document identity",
    "fivetran-dbt-sap/sap_bkpf_data.csv": "missing line_item (buzei)",
    "fivetran-dbt-sap/sap_bseg_data.csv": "missing posting_date (budat / h_budat), currency",
}


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
@pytest.mark.parametrize("path", sorted(CORPUS.rglob("*.csv")) if CORPUS.exists() else [],
                         ids=lambda p: p.name)
def test_corpus_files_are_read_rejected_or_not_claimed(path):
    connector = ErpLineItemConnector()
    expected = CORPUS_OUTCOMES.get(str(path.relative_to(CORPUS)))
    if expected is None:
        assert not connector.sniff(path.read_bytes()[:65536], path)
        return
    assert connector.sniff(path.read_bytes()[:65536], path)
    if isinstance(expected, int):
        assert connector.read(path).record_count() == expected
    else:
        with pytest.raises(RejectedFile, match=expected.replace("(", r"\(").replace(")", r"\)")):
            connector.read(path)


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
def test_corpus_bsak_signs_and_bsad_garbage_amounts():
    bsak = rows(CORPUS / "fivetran-dbt-sap" / "sap_bsak_bck_data.csv")
    assert [ln["amount"] for ln in bsak] == [Decimal("1500.50"), Decimal("-2000.75")]
    assert [ln["account_type"] for ln in bsak] == ["K", "K"]
    batch = ErpLineItemConnector().read(CORPUS / "fivetran-dbt-sap" / "sap_bsad_bck_data.csv")
    assert [ln["amount"] for ln in batch.tables["ledger_line"].to_pylist()] == [None, None]
    assert batch.control["unreadable_values"][0]["source_column"] == "wrbtr"


def test_columns_are_exactly_the_canonical_ledger_line_minus_snapshot_lineage():
    from connectors.canonical import LedgerLine

    table = ErpLineItemConnector().read(FIXTURES / "plain_lines.csv").tables["ledger_line"]
    added_by_snapshot = {"snapshot_id", "extracted_at", "connector", "source_file"}
    assert set(table.column_names) == set(LedgerLine.model_fields) - added_by_snapshot
    assert str(table.schema.field("entry_timestamp").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("amount").type) == "decimal128(18, 4)"


def test_encoding_is_configurable_and_a_wrong_one_is_named(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER},text\nDE01,2024,7,1,2024-01-02,1,5,EUR,M\xfcller\n".encode("latin-1"))
    with pytest.raises(RejectedFile, match="not utf-8 encoded.*latin-1"):
        rows(path)
    assert rows(path, encoding="latin-1")[0]["text"] == "Müller"
