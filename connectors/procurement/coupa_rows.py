"""One Coupa-style object -> canonical rows: purchase_order (+ lines), receipt, supplier_invoice.

Every PO version is its own row (natural key: PO number and version), so a change order that
the ERP never received stays visible as ``po_change_not_synced``. The correlation id of all
three is the PO number, the key the ERP carries too (EBELN); an invoice without PO lines falls
back to its invoice number.
"""

from __future__ import annotations

from typing import Any

from connectors.base import payload_hash, record_key
from connectors.canonical import SourceSystem
from connectors.procurement import coupa_fields as f

SYSTEM = SourceSystem.PROCUREMENT.value

PO_SHAPE = "order_lines"
INVOICE_SHAPE = "invoice_lines"
RECEIPT_SHAPE = ("po_number", "line_num", "quantity", "received_at")


def shape(obj: dict[str, Any]) -> str | None:
    """Which table an object belongs to, judged by its fields (not by the file's name)."""
    if PO_SHAPE in obj:
        return "purchase_order"
    if INVOICE_SHAPE in obj:
        return "supplier_invoice"
    if all(k in obj for k in RECEIPT_SHAPE):
        return "receipt"
    return None


def _lineage(obj: dict[str, Any], table: str, key: tuple[Any, ...], ref: str, pos: int,
             correlation: str | None) -> dict[str, Any]:
    raw = f.jsonable(obj)
    return {"record_id": record_key(SYSTEM, table, *key), "source_system": SYSTEM,
            "source_ref": ref, "source_position": pos, "payload_hash": payload_hash(raw),
            "raw": raw, "correlation_id": correlation}


def _lines(obj: dict[str, Any], field: str) -> list[dict[str, Any]]:
    lines = obj.get(field)
    if not isinstance(lines, list) or not all(isinstance(x, dict) for x in lines):
        raise f.FieldError(f"{field} is not a list of objects")
    return lines


def purchase_order(obj: dict[str, Any], pos: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    number = f.text(obj, "po_number", required=True)
    version = f.integer(obj, "version")
    head = {**_lineage(obj, "purchase_order", (number, version), f"{number}#v{version}", pos, number),
            "po_id": f.text(obj, "id", required=True), "po_number": number, "version": version,
            "status": f.text(obj, "status"), "company_code": f.text(obj, "company_code"),
            "currency": f.currency(obj), "supplier_id": f.text(obj, "supplier.id"),
            "supplier_name": f.text(obj, "supplier.name"),
            "created_at": f.timestamp(obj, "created_at"),
            "updated_at": f.timestamp(obj, "updated_at"), "total": f.decimal(obj, "total")}
    lines = []
    for i, line in enumerate(_lines(obj, "order_lines")):
        try:
            lines.append({"po_record_id": head["record_id"], "line_num": f.integer(line, "line_num"),
                          "po_number": number, "version": version,
                          "description": f.text(line, "description"),
                          "quantity": f.decimal(line, "quantity"), "price": f.decimal(line, "price"),
                          "total": f.decimal(line, "total"),
                          "account_code": f.text(line, "account.code")})
        except f.FieldError as err:
            raise f.FieldError(f"order_lines[{i}]: {err}") from None
    _unique([ln["line_num"] for ln in lines], "order_lines line_num")
    return head, lines


def receipt(obj: dict[str, Any], pos: int) -> dict[str, Any]:
    receipt_id = f.text(obj, "id", required=True)
    po_number = f.text(obj, "po_number", required=True)
    return {**_lineage(obj, "receipt", (receipt_id,), str(receipt_id), pos, po_number),
            "receipt_id": receipt_id, "po_number": po_number,
            "line_num": f.integer(obj, "line_num"), "quantity": f.decimal(obj, "quantity"),
            "received_at": f.timestamp(obj, "received_at")}


def supplier_invoice(obj: dict[str, Any], pos: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    invoice_id = f.text(obj, "id", required=True)
    number = f.text(obj, "invoice_number", required=True)
    lines = []
    for i, line in enumerate(_lines(obj, "invoice_lines"), start=1):
        try:
            lines.append({"line_seq": i, "po_number": f.text(line, "po_number"),
                          "line_num": f.integer(line, "line_num", required=False),
                          "quantity": f.decimal(line, "quantity"), "price": f.decimal(line, "price"),
                          "total": f.decimal(line, "total")})
        except f.FieldError as err:
            raise f.FieldError(f"invoice_lines[{i - 1}]: {err}") from None
    po_number = next((ln["po_number"] for ln in lines if ln["po_number"]), None)
    head = {**_lineage(obj, "supplier_invoice", (invoice_id,), str(invoice_id), pos,
                       po_number or number),
            "invoice_id": invoice_id, "invoice_number": number,
            "supplier_id": f.text(obj, "supplier.id"), "supplier_name": f.text(obj, "supplier.name"),
            "invoice_date": f.date(obj, "invoice_date"), "currency": f.currency(obj),
            "total": f.decimal(obj, "total"), "status": f.text(obj, "status"),
            "created_at": f.timestamp(obj, "created_at"),
            "updated_at": f.timestamp(obj, "updated_at"), "po_number": po_number}
    return head, [{"invoice_record_id": head["record_id"], **ln} for ln in lines]


def _unique(values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for v in values:
        if v in seen:
            raise f.FieldError(f"{what} {v} appears twice")
        seen.add(v)
