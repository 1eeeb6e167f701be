"""Coupa-style procurement JSON (arrays of POs, receipts, invoices) -> canonical procurement rows.

Files are recognised by content: a JSON array whose objects have order lines (purchase orders),
invoice lines (supplier invoices) or PO number + line + quantity + received_at (receipts). The
same parser reads API pages (``coupa_api``), so both give identical rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from connectors.base import Batch, RejectedFile, decode_json
from connectors.canonical import SourceSystem
from connectors.procurement import coupa_rows, foreign
from connectors.procurement.coupa_fields import FieldError

TABLES = ("purchase_order", "purchase_order_line", "receipt", "supplier_invoice",
          "supplier_invoice_line")
WRAPPERS = ("purchase_orders", "receipts", "invoices")
_SHAPE = re.compile(rb'"(order_lines|invoice_lines|received_at|po_number)"\s*:')
_EMPTY = re.compile(rb"^\s*\[\s*\]\s*$")
_WRAPPED = re.compile(rb'^\s*\{\s*"(purchase_orders|receipts|invoices)"\s*:\s*\[')


def _objects(doc: Any, source: Path | str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and doc and set(doc) <= set(WRAPPERS) \
            and all(isinstance(v, list) for v in doc.values()):
        return [obj for key in WRAPPERS for obj in doc.get(key, [])]
    raise RejectedFile(source, f"top level is a JSON {type(doc).__name__}; expected an array of "
                               "purchase orders, receipts or invoices")


def read_document(doc: Any, source: Path | str) -> Batch:
    """Rows of one decoded document; any bad object rejects it, naming object and problem."""
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    seen: dict[str, tuple[int, str]] = {}
    repeats = 0
    for i, obj in enumerate(_objects(doc, source)):
        where = f"[{i}]"
        if not isinstance(obj, dict):
            raise RejectedFile(source, f"element is a JSON {type(obj).__name__}, not an object", where)
        kind = coupa_rows.shape(obj)
        if kind is None:
            keys = ", ".join(list(obj)[:8])
            raise RejectedFile(source, f"object is neither a purchase order (order_lines), an "
                                       f"invoice (invoice_lines) nor a receipt (po_number, "
                                       f"line_num, quantity, received_at); keys: {keys}", where)
        try:
            head, lines = _build(kind, obj, i)
        except FieldError as err:
            raise RejectedFile(source, f"{kind.replace('_', ' ')}: {err}",
                               f"{where} id={obj.get('id')}") from None
        if _repeated(seen, head, i, source):
            repeats += 1
            continue
        tables[kind].append(head)
        if lines is not None:
            tables[f"{kind}_line"].extend(lines)
    control = {t: len(rows) for t, rows in tables.items() if rows} | {"exact_repeats_dropped": repeats}
    return Batch(format="coupa_json", system=SourceSystem.PROCUREMENT,
                 tables={t: rows for t, rows in tables.items() if rows}, control=control)


def _build(kind: str, obj: dict[str, Any], i: int) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    if kind == "receipt":
        return coupa_rows.receipt(obj, i), None
    builder = coupa_rows.purchase_order if kind == "purchase_order" else coupa_rows.supplier_invoice
    return builder(obj, i)


def _repeated(seen: dict[str, tuple[int, str]], head: dict[str, Any], i: int,
              source: Path | str) -> bool:
    """True for an exact repeat of an earlier object; a conflicting repeat rejects the file."""
    earlier = seen.get(head["record_id"])
    if earlier is None:
        seen[head["record_id"]] = (i, head["payload_hash"])
        return False
    if earlier[1] != head["payload_hash"]:
        raise RejectedFile(source, f"{head['source_ref']} appears twice with different content "
                                   f"(also [{earlier[0]}])", f"[{i}]")
    return True


class CoupaConnector:
    """Reads Coupa-style procurement JSON arrays."""

    name = "coupa_files"
    system = SourceSystem.PROCUREMENT

    def sniff(self, head: bytes, path: Path) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start == b"[":
            return _EMPTY.match(head) is not None or _SHAPE.search(head) is not None
        if _WRAPPED.match(head.lstrip(b"\xef\xbb\xbf")):
            return True
        return foreign.describe(head) is not None  # claimed only to be rejected by name

    def read(self, path: Path) -> Batch:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
        start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        what = foreign.describe(data[:65536]) if start not in (b"[", b"{") else None
        if what:
            raise RejectedFile(path, foreign.rejection(what))
        return read_document(decode_json(data, path), path)
