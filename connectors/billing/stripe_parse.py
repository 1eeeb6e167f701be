"""A Stripe JSON document (list page, single object or event) -> billing_event rows.

Shared by the file connector and the API client, so a page fetched over HTTP and the same page
saved as a file give identical rows. Balance transactions are not rows of their own: they fill
fee and net of the charge, refund or payout they belong to when that object is in the same
document (or expanded into it); only fee-type balance transactions (``FEE_TYPES``) become ``fee``
rows. Whatever is not read is counted in the control figures, never dropped without a trace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.billing import stripe_rows
from connectors.billing.stripe_money import StripeDataError, ref

READ = ("charge", "refund", "payout", "invoice", "balance_transaction")


def parse_document(doc: Any) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """Return (format, rows, control) for a decoded Stripe JSON document."""
    objects, fmt, control = _objects(doc)
    try:
        rows, extra = _rows(objects, single=fmt != "stripe_list_json")
    except StripeDataError as err:
        if fmt != "stripe_event_json":
            raise
        raise StripeDataError(f"event {control['event']} ({control['event_type']}): {err.problem}",
                              err.record) from None
    return fmt, rows, {**control, **extra}


def _objects(doc: Any) -> tuple[list[Any], str, dict[str, Any]]:
    if not isinstance(doc, dict):
        raise StripeDataError(f"top level is a JSON {type(doc).__name__}, expected a Stripe list "
                              "object ({\"object\": \"list\", \"data\": [...]}) or a Stripe object")
    kind = doc.get("object")
    if kind == "list":
        if not isinstance(doc.get("data"), list):
            raise StripeDataError("list object without a 'data' array")
        return doc["data"], "stripe_list_json", {"has_more": doc.get("has_more"),
                                                  "url": doc.get("url"), "objects": len(doc["data"])}
    if kind == "event":
        inner = (doc.get("data") or {}).get("object") if isinstance(doc.get("data"), dict) else None
        if not isinstance(inner, dict):
            raise StripeDataError("event without data.object", str(doc.get("id")))
        return [inner], "stripe_event_json", {"event": doc.get("id"), "event_type": doc.get("type")}
    if not isinstance(kind, str):
        keys = ", ".join(list(doc)[:6])
        raise StripeDataError(f"JSON object has no 'object' field (keys: {keys}); expected a "
                              "Stripe list object or a single Stripe object")
    return [doc], "stripe_object_json", {"objects": 1}


def _check_objects(objects: list[Any]) -> None:
    for i, obj in enumerate(objects):
        if not isinstance(obj, dict) or not isinstance(obj.get("object"), str):
            raise StripeDataError("not a Stripe object (no 'object' field)", f"data[{i}]")


def _where(obj: dict[str, Any], i: int, single: bool) -> str:
    """How an error names the object: its id in a single-object file, else its list position."""
    return (ref(obj) or "the object") if single else f"data[{i}] {ref(obj) or ''}".rstrip()


def _balance_transactions(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every balance transaction in reach: listed ones and ones expanded into other objects."""
    found: dict[str, dict[str, Any]] = {}
    for obj in objects:
        bt = obj if obj["object"] == "balance_transaction" else obj.get("balance_transaction")
        if isinstance(bt, dict) and isinstance(bt.get("id"), str):
            found.setdefault(bt["id"], bt)
    return found


def _rows(objects: list[Any], single: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    _check_objects(objects)
    bts = _balance_transactions(objects)
    by_source = {ref(bt.get("source")): bt for bt in bts.values() if ref(bt.get("source"))}
    rows: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    not_read: Counter[str] = Counter()
    for i, obj in enumerate(objects):
        kind = obj["object"]
        if kind not in stripe_rows.BUILDERS:
            not_read.update([kind] if kind != "balance_transaction" else [])
            continue
        with _naming(obj, _where(obj, i, single)):
            row = stripe_rows.BUILDERS[kind](obj, i)
            bt = bts.get(row["balance_transaction_id"] or "") or by_source.get(row["source_ref"])
            if kind != "invoice" and bt is not None:
                stripe_rows.apply_balance(row, bt, stripe_rows.SIGN[kind])
                row["balance_transaction_id"] = bt["id"]
                used.add(bt["id"])
        if row["record_id"] in rows:
            not_read["repeated id"] += 1
        rows.setdefault(row["record_id"], row)
    out = list(rows.values())
    unattached = _fee_rows(objects, used, out, single)
    _link(out)
    if single and not out:
        raise StripeDataError(_why_nothing(objects[0]), _where(objects[0], 0, single))
    control = {"rows": len(out), "not_read": dict(not_read),
               "balance_transactions_without_their_object": unattached}
    return out, control


@contextmanager
def _naming(obj: dict[str, Any], where: str) -> Iterator[None]:
    """Name the object (type and id or position) in any data error raised while reading it."""
    try:
        yield
    except StripeDataError as err:
        raise StripeDataError(f"{obj['object']}: {err.problem}", where) from None


def _fee_rows(objects: list[dict[str, Any]], used: set[str], rows: list[dict[str, Any]],
             single: bool) -> list[str]:
    """Fee-type balance transactions become rows; return the ids of other unused ones."""
    unattached = []
    for i, obj in enumerate(objects):
        if obj["object"] != "balance_transaction" or obj.get("id") in used:
            continue
        if obj.get("type") in stripe_rows.FEE_TYPES:
            with _naming(obj, _where(obj, i, single)):
                rows.append(stripe_rows.fee(obj, i))
        else:
            unattached.append(str(obj.get("id")))
    rows.sort(key=lambda r: r["source_position"])
    return unattached


def _link(rows: list[dict[str, Any]]) -> None:
    """Carry invoice numbers and customers from invoices to charges, and charges to refunds."""
    invoices = {r["invoice_id"]: r for r in rows if r["kind"] == "invoice"}
    for row in rows:
        if row["kind"] == "charge" and not row["invoice_number"] and row["invoice_id"] in invoices:
            row["invoice_number"] = invoices[row["invoice_id"]]["invoice_number"]
    charges = {r["charge_id"]: r for r in rows if r["kind"] == "charge"}
    for row in rows:
        parent = charges.get(row["charge_id"]) if row["kind"] == "refund" else None
        if parent is not None:
            row["customer_id"] = row["customer_id"] or parent["customer_id"]
            row["invoice_id"] = row["invoice_id"] or parent["invoice_id"]
            row["invoice_number"] = row["invoice_number"] or parent["invoice_number"]
        if row["kind"] in ("charge", "refund"):
            row["correlation_id"] = row["invoice_number"]


def _why_nothing(obj: dict[str, Any]) -> str:
    kind = obj["object"]
    if kind == "balance_transaction":
        return (f"balance_transaction of type {obj.get('type')!r} is read only to fill fee and "
                f"net of its source {ref(obj.get('source'))}, which is not in this file")
    return (f"Stripe object {kind!r} is not a billing event this connector reads "
            f"({', '.join(READ)})")
