"""Stripe JSON files: list pages and single objects -> billing_event, signs, fees, bad input."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import RejectedFile, payload_hash, record_key
from connectors.billing.stripe_files import StripeListConnector
from connectors.billing.stripe_money import exponent, to_major

FIXTURES = Path(__file__).parent / "fixtures" / "billing"
CORPUS = Path(__file__).parents[2] / "shared" / "corpus" / "stripe"


def read(path: Path):
    return StripeListConnector().read(path)


def by_id(path: Path) -> dict[str, dict]:
    return {r["source_ref"]: r for r in read(path).tables["billing_event"]}


def write(tmp_path: Path, doc, name: str = "page.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@pytest.mark.parametrize(("minor", "currency", "major"), [
    (1999, "USD", "19.99"), (5000, "JPY", "5000"), (12345, "KWD", "12.345"),
    (-250, "EUR", "-2.50"), (100, "ISK", "1.00"), (7, "CLP", "7"),
])
def test_minor_units_follow_the_currency_exponent(minor, currency, major):
    assert to_major(minor, currency) == Decimal(major)
    assert exponent("BHD") == 3 and exponent("VND") == 0 and exponent("GBP") == 2


def test_charge_gets_fee_and_net_from_its_balance_transaction_in_the_same_list():
    charge = by_id(FIXTURES / "list_mixed.json")["ch_1001"]
    assert charge["kind"] == "charge" and charge["currency"] == "EUR"
    assert charge["amount"] == Decimal("119.00")
    assert charge["fee"] == Decimal("1.92") and charge["net"] == Decimal("117.08")
    assert charge["created"] == utc(1709542800) and charge["available_on"] == utc(1710115200)
    assert charge["customer_id"] == "cus_A1" and charge["invoice_id"] == "in_5001"
    assert charge["invoice_number"] == "ACME-0042" == charge["correlation_id"]
    assert charge["record_id"] == record_key("billing", "ch_1001")
    assert charge["payload_hash"] == payload_hash(charge["raw"])
    assert charge["source_system"] == "billing" and charge["source_position"] == 0


def test_refund_is_negative_and_inherits_customer_and_invoice_from_its_charge():
    refund = by_id(FIXTURES / "list_mixed.json")["re_2001"]
    assert refund["kind"] == "refund" and refund["amount"] == Decimal("-20.00")
    assert refund["fee"] == Decimal("0.00") and refund["net"] == Decimal("-20.00")
    assert refund["balance_transaction_id"] == "txn_re_2001"
    assert (refund["charge_id"], refund["customer_id"]) == ("ch_1001", "cus_A1")
    assert refund["invoice_number"] == "ACME-0042" == refund["correlation_id"]


def test_payout_is_stored_positive_with_arrival_date():
    payout = by_id(FIXTURES / "list_mixed.json")["po_3001"]
    assert payout["kind"] == "payout" and payout["amount"] == Decimal("97.08")
    assert payout["net"] == Decimal("97.08") and payout["payout_id"] == "po_3001"
    assert payout["available_on"] == utc(1710288000)


def test_invoice_row_carries_the_stripe_invoice_number():
    invoice = by_id(FIXTURES / "list_mixed.json")["in_5001"]
    assert invoice["kind"] == "invoice" and invoice["amount"] == Decimal("119.00")
    assert invoice["invoice_number"] == "ACME-0042" == invoice["correlation_id"]
    assert invoice["fee"] is None and invoice["status"] == "paid"


def test_only_fee_type_balance_transactions_become_rows_the_rest_is_counted():
    batch = read(FIXTURES / "list_mixed.json")
    rows = {r["source_ref"]: r for r in batch.tables["billing_event"]}
    fee = rows["txn_fee_4001"]
    assert fee["kind"] == "fee" and fee["amount"] == Decimal("-5.00")
    assert "txn_ch_1001" not in rows and "txn_po_3001" not in rows and "txn_adj_4002" not in rows
    assert batch.control["balance_transactions_without_their_object"] == ["txn_adj_4002"]
    assert batch.control["not_read"] == {"customer": 1}
    assert batch.control["has_more"] is False
    assert [r["source_position"] for r in batch.tables["billing_event"]] == sorted(
        r["source_position"] for r in batch.tables["billing_event"])


def test_zero_and_three_decimal_currencies_and_expanded_references():
    rows = by_id(FIXTURES / "list_mixed.json")
    jpy, kwd = rows["ch_jpy_1"], rows["ch_kwd_1"]
    assert (jpy["amount"], jpy["fee"], jpy["net"]) == (Decimal(5000), Decimal(180), Decimal(4820))
    assert jpy["customer_id"] == "cus_J1" and jpy["invoice_number"] == "JP-7"
    assert kwd["amount"] == Decimal("12.345") and kwd["invoice_number"] == "KW-1"
    # Settled in USD: fee and net are not in the charge's currency, so they stay empty.
    assert kwd["fee"] is None and kwd["net"] is None
    assert kwd["raw"]["balance_transaction"]["exchange_rate"] == "3.25"
    json.dumps(kwd["raw"])  # raw stays plain JSON


def test_event_envelope_is_unwrapped(tmp_path):
    charge = json.loads((FIXTURES / "charges_page.json").read_text())["data"][0]
    event = {"id": "evt_1", "object": "event", "type": "charge.succeeded",
             "data": {"object": charge}}
    batch = read(write(tmp_path, event))
    assert batch.format == "stripe_event_json"
    assert batch.tables["billing_event"][0]["fee"] == Decimal("0.59")


def _charge(**changes) -> dict:
    base = {"id": "ch_x", "object": "charge", "amount": 100, "currency": "usd", "created": 1}
    return {k: v for k, v in {**base, **changes}.items() if v is not ...}


@pytest.mark.parametrize(("doc", "problem", "record"), [
    ("", "file is empty", None),
    ('{"object": "list", "data": [', "invalid JSON", "line 1 column 29"),
    ({"object": "list", "data": {}}, "list object without a 'data' array", None),
    ({"object": "list", "data": [_charge(amount=...)]}, "charge: missing amount", "data[0] ch_x"),
    ({"object": "list", "data": [_charge(amount="1.00")]}, "not an integer number of minor units",
     "data[0] ch_x"),
    ({"object": "list", "data": [_charge(amount=1.5)]}, "not an integer", "data[0] ch_x"),
    ({"object": "list", "data": [_charge(currency=...)]}, "missing currency", "data[0] ch_x"),
    ({"object": "list", "data": [_charge(currency="dollars")]}, "not a three-letter", "data[0] ch_x"),
    ({"object": "list", "data": [_charge(id=...)]}, "charge: missing id", "data[0]"),
    ({"object": "list", "data": [_charge(created="yesterday")]}, "not a unix timestamp",
     "data[0] ch_x"),
    ({"object": "list", "data": [42]}, "not a Stripe object", "data[0]"),
    ({"resources": {}}, "no 'object' field", None),
    ({"id": "cus_1", "object": "customer"}, "'customer' is not a billing event", "cus_1"),
    ({"id": "txn_1", "object": "balance_transaction", "type": "charge", "source": "ch_9",
      "amount": 1, "currency": "usd", "created": 1}, "source ch_9, which is not in this file",
     "txn_1"),
    ('[{"id": "ch_1"}]', "top level is a JSON list", None),
])
def test_bad_input_is_rejected_naming_record_and_problem(tmp_path, doc, problem, record):
    path = write(tmp_path, doc)
    with pytest.raises(RejectedFile) as err:
        read(path)
    assert problem in err.value.problem
    assert err.value.record == record
    assert str(path) in str(err.value)


def test_sniff():
    connector = StripeListConnector()
    path = FIXTURES / "list_mixed.json"
    assert connector.sniff(path.read_bytes()[:4096], path)
    assert not connector.sniff(b'[{"po_number": "1"}]', path)
    assert not connector.sniff(b"company_code,document_number,amount\n", path)
    assert not connector.sniff(b"<?xml version='1.0'?>", path)


CORPUS_READ = {
    "dj-stripe/charge_ch_fakefakefakefakefake0001.json": ("charge", "20.00"),
    "dj-stripe/invoice_in_fakefakefakefakefake0001.json": ("invoice", "20.00"),
    "dj-stripe/invoice_in_fakefakefakefakefake0004.json": ("invoice", "40.00"),
    "stripe-openapi/fixtures3.charge.json": ("charge", "1.00"),
    "stripe-openapi/fixtures3.refund.json": ("refund", "-1.00"),
    "stripe-openapi/fixtures3.payout.json": ("payout", "11.00"),
    "stripe-openapi/fixtures3.invoice.json": ("invoice", "10.00"),
}


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
@pytest.mark.parametrize("path", sorted(CORPUS.rglob("*.json")) if CORPUS.exists() else [],
                         ids=lambda p: p.name)
def test_corpus_objects_are_read_or_rejected_with_a_reason(path):
    connector = StripeListConnector()
    assert connector.sniff(path.read_bytes()[:65536], path)
    expected = CORPUS_READ.get(str(path.relative_to(CORPUS)))
    if expected is None:
        with pytest.raises(RejectedFile) as err:
            connector.read(path)
        assert err.value.problem and str(path) in str(err.value)
        return
    (row,) = connector.read(path).tables["billing_event"]
    assert (row["kind"], row["amount"]) == (expected[0], Decimal(expected[1]))
    assert row["created"].tzinfo is not None


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
def test_corpus_fivetran_csv_extracts_are_named_when_rejected():
    connector = StripeListConnector()
    for path in sorted((CORPUS / "fivetran-dbt-stripe").glob("*.csv")):
        assert connector.sniff(path.read_bytes()[:65536], path), path.name
        with pytest.raises(RejectedFile, match="Fivetran warehouse extract"):
            connector.read(path)


def test_rows_have_exactly_the_canonical_columns_minus_snapshot_lineage():
    from connectors.canonical import BillingEvent

    added_by_snapshot = {"snapshot_id", "extracted_at", "connector", "source_file"}
    for row in read(FIXTURES / "list_mixed.json").tables["billing_event"]:
        assert set(row) == set(BillingEvent.model_fields) - added_by_snapshot
