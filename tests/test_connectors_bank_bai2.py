"""BAI2 reader: record assembly, tolerant type codes, continuations and trailer checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bank.bai2 import Bai2Connector
from connectors.bank.bai2_records import logical_records, physical_rows, type_code
from connectors.base import RejectedFile

GOOD = """01,BANK,CUST,240131,1800,FILE1,,,2/
02,CUST,BANK,1,240131,2400,USD,2/
03,12345,USD,010,100000,,,015,125000,,/
16,195,50000,Z,BREF1,CREF1,Incoming wire INV-7/
88,EREF: E2E-1 DBNM: ACME INC
16,475,25000,Z,BREF2,,Check paid/
49,300000,5/
98,300000,1,7/
99,300000,1,9/
"""


def read(tmp_path: Path, text: str):
    path = tmp_path / "file.bai2"
    path.write_text(text, encoding="utf-8")
    return Bai2Connector().read(path)


def rows_of(batch) -> list[dict]:
    return batch.tables["bank_transaction"]


def test_file_is_read_with_signs_from_type_codes(tmp_path):
    batch = read(tmp_path, GOOD)
    credit, debit = rows_of(batch)
    assert (credit["amount"], debit["amount"]) == (Decimal("500.00"), Decimal("-250.00"))
    assert credit["source_ref"] == credit["acct_svcr_ref"] == "BREF1"
    assert credit["end_to_end_id"] == "E2E-1" and credit["counterparty_name"] == "ACME INC"
    assert credit["remittance_text"] == "Incoming wire INV-7 EREF: E2E-1 DBNM: ACME INC"
    assert credit["booking_date"] == dt.date(2024, 1, 31) and credit["bank_tx_code"] == "195"
    assert debit["end_to_end_id"] is None
    assert batch.control["statements"][0]["checks"] == [
        "account 12345 (49 trailer): number of records = 5",
        "account 12345 (49 trailer): control total = 300000"]


def test_wrong_control_total_is_rejected_with_figures(tmp_path):
    with pytest.raises(RejectedFile) as err:
        read(tmp_path, GOOD.replace("49,300000,5/", "49,300001,5/"))
    assert "control total: file states 300001 but 300000 were read" in err.value.problem


def test_wrong_record_count_is_listed_when_every_detail_and_amount_is_proved(tmp_path):
    """A trailer that miscounts the records it closes does not describe them: its figures are
    listed, not enforced, as every 16 record is counted in the raw text and its amount read."""
    text = GOOD.replace("49,300000,5/", "49,300001,6/")
    batch = read(tmp_path, text)
    assert batch.record_count() == 2 and batch.control["balance_proved"] is False
    assert batch.control["entries_counted"] == "2 16 transaction detail records"
    assert batch.control["problems"] == [
        "statement FILE1/2024-01-31/12345: account 12345 (49 trailer): number of records: file "
        "states 6 but 5 were read",
        "statement FILE1/2024-01-31/12345: account 12345 (49 trailer): control total: file "
        "states 300001 but 300000 were read (not enforced: the trailer's counts show it does "
        "not describe this section)"]
    path = tmp_path / "file.bai2"
    with pytest.raises(RejectedFile, match="number of records: file states 6 but 5"):
        Bai2Connector(on_balance_mismatch="reject").read(path)


def test_trailer_whose_counts_match_enforces_its_total(tmp_path):
    with pytest.raises(RejectedFile, match="group 1 .98 trailer.: control total: file states "
                                           "300001 but 300000 were read"):
        read(tmp_path, GOOD.replace("98,300000,", "98,300001,"))


def test_detail_record_the_reader_does_not_reach_rejects(tmp_path, monkeypatch):
    from connectors.bank import bai2

    real = bai2.logical_records
    monkeypatch.setattr(bai2, "logical_records",
                        lambda rows: [r for r in real(rows) if r.body[:4] != "475,"])
    with pytest.raises(RejectedFile, match="holds 2 16 transaction detail records but 1"):
        read(tmp_path, GOOD.replace("49,300000,5/", "49,275000,4/").replace(
            "98,300000,1,7/", "98,275000,1,6/").replace("99,300000,1,9/", "99,275000,1,8/"))


def test_amount_the_package_misreads_is_caught(tmp_path, monkeypatch):
    from connectors.bank import bai2_records

    monkeypatch.setattr(bai2_records._Detail, "head_fields_config", [
        ("type_code", bai2_records.type_code), ("amount", lambda v: int(v) + 1),
        ("funds_type", bai2_records._funds)])
    with pytest.raises(RejectedFile, match="read amount 50001 but the record says '50000'"):
        read(tmp_path, GOOD.replace("49,300000,", "49,300002,").replace(
            "98,300000,", "98,300002,").replace("99,300000,", "99,300002,"))


def test_several_records_on_one_line_and_a_wrapped_line(tmp_path):
    text = GOOD.replace("16,475,25000,Z,BREF2,,Check paid/\n",
                        "16,475,25000,Z,BREF2,,Check\npaid/   ")
    rows = rows_of(read(tmp_path, text.replace("\n49,", "49,", 1)))
    assert rows[1]["remittance_text"] == "Check paid"


def test_unknown_type_code_is_classified_by_range(tmp_path):
    text = GOOD.replace("16,475,", "16,455,").replace("16,195,", "16,399,")
    code = type_code("455")
    assert code.transaction.value == "debit"
    assert [r["amount"] for r in rows_of(read(tmp_path, text))] == [
        Decimal("500.00"), Decimal("-250.00")]


def test_continuation_splitting_a_summary_type_code():
    rows = physical_rows("01,A,B,240131,1800,1,,,2/\n03,9,,010,-500,,,190/\n88,500,,,110,7,,/\n")
    account = logical_records(rows)[1]
    assert account.fields == ["9", "", "010", "-500", "", "", "190", "500", "", "", "110", "7",
                              "", ""]
    assert len(account.rows) == 2


def test_zero_decimal_currency_is_not_scaled(tmp_path):
    text = GOOD.replace(",USD,2/", ",JPY,2/").replace("03,12345,USD", "03,12345,JPY")
    assert rows_of(read(tmp_path, text))[0]["amount"] == Decimal("50000")


def test_first_record_must_be_a_file_header(tmp_path):
    with pytest.raises(RejectedFile, match="does not start with a BAI2 record code"):
        read(tmp_path, "00,0004,1/2/345,06/0321,0829,001,80,1,2/\n")


def test_records_after_the_file_trailer_are_refused(tmp_path):
    with pytest.raises(RejectedFile, match="after the 99 file trailer"):
        read(tmp_path, GOOD + "02,CUST,BANK,1,240131,2400,USD,2/\n")


def test_bad_amount_names_the_record(tmp_path):
    with pytest.raises(RejectedFile) as err:
        read(tmp_path, GOOD.replace("16,195,50000,", "16,195,5O000,"))
    assert err.value.record.startswith("record 16 at line")


@pytest.mark.parametrize("head, expected", [
    (b"01,121140399,9999999999,050608,1015,1,80,1,2/\n", True),
    (b"  \n01,GSBI,cont001,210706,1249,1,,,2/", True),
    (b"00,0004,1/2/345", False),
    (b":20:X\n:25:Y\n", False),
])
def test_sniff_recognises_bai2_by_its_first_record(head, expected):
    assert Bai2Connector().sniff(head, Path("x.csv")) is expected
