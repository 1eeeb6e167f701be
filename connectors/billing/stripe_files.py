"""Stripe API payloads saved as JSON files (list pages, single objects, events) -> billing_event."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connectors.base import Batch, RejectedFile, decode_json
from connectors.billing.stripe_money import StripeDataError
from connectors.billing.stripe_parse import parse_document
from connectors.canonical import SourceSystem

_OBJECT_FIELD = re.compile(rb'"object"\s*:\s*"[a-z_.]+"')
FIVETRAN = ("Fivetran warehouse extract of a Stripe table (CSV) is not read: export Stripe API "
            "list objects as JSON, or use the API mode")


def _fivetran_stripe(head: bytes) -> bool:
    """A Stripe table as Fivetran lands it in a warehouse (recognised only to name it)."""
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    header = {c.strip().strip('"').lower() for c in first.split(",")}
    stripe_like = "balance_transaction_id" in header or {"amount", "currency"} <= header
    return "_fivetran_synced" in header and stripe_like


def read_payload(doc: Any, source: Path | str) -> Batch:
    """Rows of one decoded Stripe document; a data problem rejects it naming the object."""
    try:
        fmt, rows, control = parse_document(doc)
    except StripeDataError as err:
        raise RejectedFile(source, err.problem, err.record) from None
    return Batch(format=fmt, system=SourceSystem.BILLING, tables={"billing_event": rows},
                 control=control)


class StripeListConnector:
    """Reads Stripe list objects and single Stripe objects from JSON files."""

    name = "stripe_files"
    system = SourceSystem.BILLING

    def sniff(self, head: bytes, path: Path) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start == b"{":
            return _OBJECT_FIELD.search(head) is not None
        return _fivetran_stripe(head)

    def read(self, path: Path) -> Batch:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
        if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") and _fivetran_stripe(data[:65536]):
            raise RejectedFile(path, FIVETRAN, "line 1")
        return read_payload(decode_json(data, path), path)
