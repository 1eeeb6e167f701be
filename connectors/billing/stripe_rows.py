"""One Stripe object -> one ``billing_event`` row, with the company's sign and major units.

Signs (money to the company positive): a charge is positive and a refund negative, as on the
Stripe balance. A payout is stored as a positive amount: money leaving Stripe towards the
company's bank, so it compares directly with the bank credit. ``fee`` is Stripe's fee as a
positive cost; ``net`` is the balance transaction's net in the row's sign (charge: gross - fee;
payout: what the payout drew from the balance, amount + fee). Fee and net are filled only from a
balance transaction in the same currency as the object; otherwise they stay empty.
"""

from __future__ import annotations

from typing import Any

from connectors.base import payload_hash, record_key
from connectors.billing.stripe_money import (
    StripeDataError,
    currency_of,
    jsonable,
    minor,
    ref,
    timestamp,
    to_major,
)
from connectors.canonical import SourceSystem

SYSTEM = SourceSystem.BILLING.value
FEE_TYPES = frozenset({"stripe_fee", "stripe_fx_fee", "tax_fee", "application_fee",
                       "application_fee_refund"})
"""Balance-transaction types that are fees in their own right and become ``fee`` rows."""


def lineage(obj: dict[str, Any], position: int) -> dict[str, Any]:
    """The lineage columns a connector fills (the snapshot step adds the rest)."""
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise StripeDataError("missing id")
    raw = jsonable(obj)
    return {"record_id": record_key(SYSTEM, object_id), "source_system": SYSTEM,
            "source_ref": object_id, "source_position": position,
            "payload_hash": payload_hash(raw), "raw": raw, "correlation_id": None}


def _event(obj: dict[str, Any], kind: str, position: int, amount: int, sign: int) -> dict[str, Any]:
    currency = currency_of(obj)
    return {**lineage(obj, position), "kind": kind, "currency": currency,
            "amount": sign * to_major(amount, currency),
            "fee": None, "net": None, "created": timestamp(obj, "created", required=True),
            "available_on": None, "status": obj.get("status"),
            "customer_id": ref(obj.get("customer")), "invoice_id": None, "invoice_number": None,
            "charge_id": None, "payout_id": None,
            "balance_transaction_id": ref(obj.get("balance_transaction")),
            "description": obj.get("description")}


def apply_balance(row: dict[str, Any], bt: dict[str, Any] | None, sign: int) -> None:
    """Fill fee, net and available_on from the object's balance transaction, if it is known."""
    if bt is None:
        return
    currency = currency_of(bt)
    row["available_on"] = row["available_on"] or timestamp(bt, "available_on")
    if currency != row["currency"]:
        return  # settled in another currency: fee and net are not in the row's currency
    fee_minor, net_minor = minor(bt, "fee", required=False), minor(bt, "net", required=False)
    row["fee"] = None if fee_minor is None else to_major(fee_minor, currency)
    row["net"] = None if net_minor is None else sign * to_major(net_minor, currency)


def charge(obj: dict[str, Any], position: int) -> dict[str, Any]:
    row = _event(obj, "charge", position, minor(obj, "amount"), +1)
    invoice = obj.get("invoice")
    row["charge_id"] = row["source_ref"]
    row["invoice_id"] = ref(invoice)
    if isinstance(invoice, dict):
        row["invoice_number"] = invoice.get("number")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    row["invoice_number"] = row["invoice_number"] or metadata.get("invoice_number")
    return row


def refund(obj: dict[str, Any], position: int) -> dict[str, Any]:
    row = _event(obj, "refund", position, minor(obj, "amount"), -1)
    row["charge_id"] = ref(obj.get("charge"))
    return row


def payout(obj: dict[str, Any], position: int) -> dict[str, Any]:
    row = _event(obj, "payout", position, minor(obj, "amount"), +1)
    row["payout_id"] = row["source_ref"]
    row["available_on"] = timestamp(obj, "arrival_date")
    return row


def invoice(obj: dict[str, Any], position: int) -> dict[str, Any]:
    total = minor(obj, "total", required=False)
    if total is None:
        total = minor(obj, "amount_due", required=False)
    if total is None:
        raise StripeDataError("missing total")
    row = _event(obj, "invoice", position, total, +1)
    row["invoice_id"] = row["source_ref"]
    row["invoice_number"] = obj.get("number")
    row["charge_id"] = ref(obj.get("charge"))
    row["correlation_id"] = row["invoice_number"]
    return row


def fee(bt: dict[str, Any], position: int) -> dict[str, Any]:
    """A stand-alone fee balance transaction (Stripe billing fees, application fees...)."""
    row = _event(bt, "fee", position, minor(bt, "amount"), +1)
    row["balance_transaction_id"] = row["source_ref"]
    source = ref(bt.get("source"))
    row["charge_id"] = source if source and source.startswith(("ch_", "py_")) else None
    apply_balance(row, bt, +1)
    return row


BUILDERS = {"charge": charge, "refund": refund, "payout": payout, "invoice": invoice}
SIGN = {"charge": +1, "refund": +1, "payout": -1}
"""How a balance transaction's net reads in the row's sign (payouts are stored positive)."""
