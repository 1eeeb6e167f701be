"""Coupa-style procurement JSON: PO versions, receipts, invoices; bad input; corpus formats named."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import RejectedFile, payload_hash, record_key
from connectors.procurement.coupa_files import CoupaConnector

FIXTURES = Path(__file__).parent / "fixtures" / "procurement"
CORPUS = Path(__file__).parents[2] / "shared" / "corpus" / "procurement"


def read(path: Path):
    return CoupaConnector().read(path)


def write(tmp_path: Path, doc, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def test_every_po_version_is_its_own_row_with_its_lines():
    batch = read(FIXTURES / "purchase_orders.json")
    pos, lines = batch.tables["purchase_order"], batch.tables["purchase_order_line"]
    assert [p["source_ref"] for p in pos] == ["4500001234#v1", "4500001234#v2", "4500001235#v1"]
    v2 = pos[1]
    assert v2["record_id"] == record_key("procurement", "purchase_order", "4500001234", 2)
    assert v2["record_id"] != pos[0]["record_id"] and v2["po_id"] == "7001"
    assert v2["total"] == Decimal("1080.00") and v2["currency"] == "EUR"
    assert v2["supplier_id"] == "301" and v2["supplier_name"] == "Acme Components GmbH"
    assert v2["updated_at"] == dt.datetime(2024, 2, 10, 14, 30, tzinfo=dt.UTC)
    assert v2["correlation_id"] == "4500001234" and v2["source_system"] == "procurement"
    assert v2["payload_hash"] == payload_hash(v2["raw"])
    v2_lines = [ln for ln in lines if ln["po_record_id"] == v2["record_id"]]
    assert [(ln["line_num"], ln["quantity"], ln["total"]) for ln in v2_lines] == [
        (1, Decimal("110"), Decimal("880.00")), (2, Decimal("20"), Decimal("200.00"))]
    assert v2_lines[0]["account_code"] == "400000" and v2_lines[0]["version"] == 2
    assert batch.total_amount() == Decimal("2179.99")


def test_json_numbers_are_read_exactly_and_currency_upper_cased():
    po = read(FIXTURES / "purchase_orders.json").tables["purchase_order"][2]
    assert po["total"] == Decimal("99.99") and po["currency"] == "USD"
    assert po["raw"]["total"] == "99.99"  # exact decimal kept as a string in the raw payload
    json.dumps(po["raw"])


def test_receipts():
    receipts = read(FIXTURES / "receipts.json").tables["receipt"]
    assert [r["source_ref"] for r in receipts] == ["9101", "9102"]
    assert receipts[1]["quantity"] == Decimal("18.5") and receipts[1]["line_num"] == 2
    assert receipts[0]["received_at"] == dt.datetime(2024, 2, 15, 7, 0, tzinfo=dt.UTC)
    assert receipts[0]["correlation_id"] == "4500001234"
    assert receipts[0]["record_id"] == record_key("procurement", "receipt", "9101")


def test_invoices_and_their_lines():
    batch = read(FIXTURES / "invoices.json")
    invoices, lines = batch.tables["supplier_invoice"], batch.tables["supplier_invoice_line"]
    first, credit = invoices
    assert first["invoice_number"] == "SUP-INV-88" and first["po_number"] == "4500001234"
    assert first["correlation_id"] == "4500001234" and first["invoice_date"] == dt.date(2024, 2, 16)
    assert [(ln["line_seq"], ln["line_num"], ln["total"]) for ln in lines[:2]] == [
        (1, 1, Decimal("880.00")), (2, 2, Decimal("185.00"))]
    assert all(ln["invoice_record_id"] == first["record_id"] for ln in lines[:2])
    assert credit["total"] == Decimal("-50.00") and credit["po_number"] is None
    assert credit["correlation_id"] == "NOPO-1" and credit["invoice_date"] == dt.date(2024, 2, 20)
    assert credit["created_at"].tzinfo is not None and credit["updated_at"] is None
    assert lines[2]["line_num"] is None and lines[2]["po_number"] is None


def test_mixed_and_wrapped_documents_dispatch_by_shape(tmp_path):
    objects = (json.loads((FIXTURES / "receipts.json").read_text())
               + json.loads((FIXTURES / "invoices.json").read_text())[:1])
    assert set(read(write(tmp_path, objects)).tables) == {
        "receipt", "supplier_invoice", "supplier_invoice_line"}
    wrapped = write(tmp_path, {"receipts": objects[:2]}, "wrapped.json")
    assert CoupaConnector().sniff(wrapped.read_bytes(), wrapped)
    assert len(read(wrapped).tables["receipt"]) == 2


def test_empty_array_is_an_empty_batch(tmp_path):
    path = write(tmp_path, "[]")
    assert CoupaConnector().sniff(path.read_bytes(), path)
    assert read(path).record_count() == 0


def test_exact_repeat_is_dropped_conflicting_repeat_rejected(tmp_path):
    receipts = json.loads((FIXTURES / "receipts.json").read_text())
    batch = read(write(tmp_path, receipts + receipts[:1]))
    assert len(batch.tables["receipt"]) == 2 and batch.control["exact_repeats_dropped"] == 1
    changed = {**receipts[0], "quantity": "5"}
    with pytest.raises(RejectedFile, match="9101 appears twice with different content") as err:
        read(write(tmp_path, [*receipts, changed], "conflict.json"))
    assert err.value.record == "[2]"


def _po(**changes) -> dict:
    po = json.loads((FIXTURES / "purchase_orders.json").read_text())[0]
    po.update(changes)
    return po


@pytest.mark.parametrize(("doc", "problem", "record"), [
    ("", "file is empty", None),
    ("[{\"po_number\": ", "invalid JSON", "line 1 column 16"),
    ({"purchase_orders": 3}, "top level is a JSON dict", None),
    ([_po(currency={})], "purchase order: missing currency.code", "[0] id=7001"),
    ([_po(total="12,50")], "total '12,50' is not a decimal number", "[0] id=7001"),
    ([_po(total=None)], "missing total", "[0] id=7001"),
    ([_po(total="0.00125")], "more than 4 decimals", "[0] id=7001"),
    ([_po(version="two")], "version 'two' is not an integer", "[0] id=7001"),
    ([_po(created_at="yesterday")], "not an ISO 8601 timestamp", "[0] id=7001"),
    ([_po(order_lines=[{"line_num": 1, "quantity": "1", "price": "1"}])],
     "order_lines[0]: missing total", "[0] id=7001"),
    ([_po(order_lines="none")], "order_lines is not a list of objects", "[0] id=7001"),
    ([{"id": 1, "po_number": "9", "line_num": 1, "received_at": "2024-01-01"}],
     "neither a purchase order", "[0]"),
    ([{"id": 1, "po_number": "9", "line_num": 1, "quantity": "x", "received_at": "2024-01-01"}],
     "receipt: quantity 'x' is not a decimal number", "[0] id=1"),
    (["text"], "element is a JSON str", "[0]"),
])
def test_bad_input_is_rejected_naming_record_and_problem(tmp_path, doc, problem, record):
    path = write(tmp_path, doc)
    with pytest.raises(RejectedFile) as err:
        read(path)
    assert problem in err.value.problem
    assert err.value.record == record
    assert str(path) in str(err.value)


def test_sniff():
    connector = CoupaConnector()
    for name in ("purchase_orders.json", "receipts.json", "invoices.json"):
        path = FIXTURES / name
        assert connector.sniff(path.read_bytes()[:4096], path)
    assert not connector.sniff(b'{"object": "list", "data": []}', Path("x"))
    assert not connector.sniff(b"company_code,document_number,amount\n", Path("x"))
    assert not connector.sniff(b"bukrs,belnr,gjahr,buzei,ebeln,wrbtr\n", Path("x"))
    assert not connector.sniff(b'[{"id": 1, "name": "x"}]', Path("x"))


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not available")
@pytest.mark.parametrize("path", sorted(p for p in CORPUS.rglob("*") if p.is_file())
                         if CORPUS.exists() else [], ids=lambda p: p.name)
def test_corpus_procurement_formats_are_named_or_left_alone(path):
    connector = CoupaConnector()
    if not connector.sniff(path.read_bytes()[:65536], path):
        assert path.name in {"sap_lfa1_data.csv", "sap_t024_data.csv", "sap_t161_data.csv"}
        return
    with pytest.raises(RejectedFile, match="is not read: the procurement connector reads"):
        connector.read(path)


def test_rows_have_exactly_the_canonical_columns():
    from connectors.canonical import (
        PurchaseOrder,
        PurchaseOrderLine,
        Receipt,
        SupplierInvoice,
        SupplierInvoiceLine,
    )

    models = {"purchase_order": PurchaseOrder, "purchase_order_line": PurchaseOrderLine,
              "receipt": Receipt, "supplier_invoice": SupplierInvoice,
              "supplier_invoice_line": SupplierInvoiceLine}
    added_by_snapshot = {"snapshot_id", "extracted_at", "connector", "source_file"}
    for name in ("purchase_orders.json", "receipts.json", "invoices.json"):
        for table, rows in read(FIXTURES / name).tables.items():
            for row in rows:
                assert set(row) == set(models[table].model_fields) - added_by_snapshot, table
