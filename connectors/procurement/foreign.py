"""Procurement formats we recognise but do not read, so their quarantine reason says what they are.

cXML, UBL and CII e-invoices, EDIFACT INVOIC and SAP purchasing-table extracts are real
procurement traffic; naming them ("UBL 2.1 invoice is not read") tells the integration engineer
what to export instead, where "unrecognised format" would not.
"""

from __future__ import annotations

import re

_MARKERS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"<(cXML|cxml)[\s>]|<!DOCTYPE cXML"), "cXML document"),
    (re.compile(rb"urn:oasis:names:specification:ubl:schema:xsd:(Invoice|CreditNote)-2"),
     "UBL 2.1 invoice or credit note (EN 16931)"),
    (re.compile(rb"CrossIndustryInvoice"), "UN/CEFACT Cross Industry Invoice (EN 16931 CII)"),
    (re.compile(rb"^\s*(UNA|UNB)[:+]|UNH\+[^+']*\+INVOIC:"), "EDIFACT interchange"),
)


def _csv_header(head: bytes) -> set[str]:
    first = head.decode("utf-8", errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    return {c.strip().strip('"').lower() for c in re.split(r"[,;\t|]", first)}


def describe(head: bytes) -> str | None:
    """What foreign procurement format these first bytes are, or None."""
    for pattern, what in _MARKERS:
        if pattern.search(head):
            return what
    header = _csv_header(head)
    ledger = "belnr" in header and bool(header & {"bukrs", "rbukrs"})
    if "ebeln" in header and not ledger:
        return "SAP purchasing table extract (EKKO/EKPO/EKBE/EKET)"
    return None


def rejection(what: str) -> str:
    return (f"{what} is not read: the procurement connector reads Coupa-style JSON arrays of "
            "purchase orders, receipts and invoices (SPEC §3)")
