"""Rows of every bank connector: one shape, valid canonical records, SPEC §10 identities."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from connectors.bank.bai2 import Bai2Connector
from connectors.bank.camt import CamtConnector
from connectors.bank.mt940 import Mt940Connector
from connectors.bank.rows import ROW_KEYS, assign_identity, new_row, real_ref
from connectors.base import record_key
from connectors.canonical import BankTransaction

SNAPSHOT_COLUMNS = {"snapshot_id", "extracted_at", "connector", "source_file"}

SAMPLES = {
    "camt": (CamtConnector, '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">'
             "<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S</Id><Acct><Id><IBAN>"
             "CH9300762011623852957</IBAN></Id></Acct><Ntry><Amt Ccy=\"CHF\">5.00</Amt>"
             "<CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-31</Dt></BookgDt>"
             "<NtryDtls><TxDtls><Amt Ccy=\"CHF\">2.00</Amt></TxDtls><TxDtls><Amt Ccy=\"CHF\">3.00"
             "</Amt></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"),
    "mt940": (Mt940Connector, ":20:S\n:25:ACC 1\n:28C:1\n:60F:C240130EUR1,00\n"
              ":61:2401310131D1,00NTRFNONREF\n:86:x\n:62F:C240131EUR0,00\n"),
    "bai2": (Bai2Connector, "01,B,C,240131,1800,F,,,2/\n02,C,B,1,240131,,EUR,2/\n03,1,,/\n"
             "16,475,100,Z,,,/\n49,100,3/\n98,100,1,5/\n99,100,1,7/\n"),
}


@pytest.fixture(params=sorted(SAMPLES))
def rows(request, tmp_path):
    connector, text = SAMPLES[request.param]
    path = tmp_path / "sample"
    path.write_text(text)
    return connector().read(path).tables["bank_transaction"]


def test_row_keys_are_the_bank_transaction_columns_the_connector_fills():
    assert set(ROW_KEYS) == set(BankTransaction.model_fields) - SNAPSHOT_COLUMNS


def test_every_row_has_exactly_the_row_keys(rows):
    assert rows and all(list(row) == list(ROW_KEYS) for row in rows)


def test_rows_are_valid_canonical_records(rows):
    for row in rows:
        record = BankTransaction.model_validate({
            **row, "snapshot_id": "s", "connector": "c", "source_file": "f",
            "extracted_at": dt.datetime(2024, 1, 31, tzinfo=dt.UTC)})
        assert record.record_id == row["record_id"]
        assert isinstance(row["amount"], Decimal) and isinstance(row["entry_amount"], Decimal)
        assert type(row["booking_date"]) is dt.date
        assert row["status"] in ("booked", "pending", "info")
        json.dumps(row["raw"])  # JSON-serialisable, amounts as text


def test_record_ids_are_unique_and_derived_from_the_reference(rows):
    assert len({r["record_id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["record_id"] == record_key("bank", row["account"], row["source_ref"])


def row(account="A", ref=None, statement="S", seq=1, detail=None):
    return new_row(account=account, acct_svcr_ref=ref, statement_id=statement, entry_seq=seq,
                   detail_seq=detail)


def test_identity_rules():
    rows = [row(ref="R1"), row(ref="B", seq=2, detail=1), row(ref="B", seq=2, detail=2),
            row(seq=3), row(ref="D", seq=4), row(ref="D", seq=5), row(account="Z", ref="D")]
    assert assign_identity(rows) == ["D"]
    assert [r["source_ref"] for r in rows] == ["R1", "B/1", "B/2", "S#3", "S#4", "S#5", "D"]


@pytest.mark.parametrize("value, expected", [
    ("NONREF", None), (" NOTPROVIDED ", None), ("", None), (None, None), ("R-1", "R-1")])
def test_placeholder_references_identify_nothing(value, expected):
    assert real_ref(value) == expected


def test_new_row_defaults():
    fresh = new_row(amount=Decimal(1))
    assert fresh["source_system"] == "bank" and fresh["status"] == "booked"
    assert fresh["detail_count"] == 1 and fresh["is_reversal"] is False


@pytest.mark.parametrize("account, base", [("NL91ABNA0417164300", "REF1"), (None, "S#1/2"),
                                           ("ÄÖ 1", "x\x1fy")])
def test_inlined_hashes_are_the_base_ones(account, base):
    """The camt hot path inlines ``record_key`` and ``payload_hash``: same values, always."""
    from connectors.bank.camt_rows import _hash
    from connectors.bank.rows import _key
    from connectors.base import payload_hash

    assert _key(account, base) == record_key("bank", account, base)
    assert _hash(f"{account}\x1f{base}") == payload_hash(f"{account}\x1f{base}")


def test_a_structured_creditor_reference_yields_the_number_before_its_check_digits():
    from connectors.bank.rows import reference_core

    assert reference_core("900004243") == "90000424"   # Swedish OCR: invoice 90000424 + Luhn
    assert reference_core("900004244") is None         # the last digit does not check
    assert reference_core("RF18539007547034") == "539007547034"  # ISO 11649: RF + check + own
    assert reference_core("RF72 9000 1972") == "90001972"
    assert reference_core("RF19539007547034") is None  # RF check digits that do not check
    assert reference_core("12345") is None              # too short to be one
