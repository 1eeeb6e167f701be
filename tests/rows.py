"""Tiny builders of canonical rows for rule tests: only the fields a test cares about."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import duckdb

from connectors.base import record_key
from jobs.arrow import to_arrow

_seq = itertools.count(1)
EXTRACTED = dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)


def _lineage(system: str, ref: str) -> dict:
    return {"record_id": record_key(system, ref), "source_system": system, "source_ref": ref,
            "connector": "test", "source_file": "test", "source_position": next(_seq),
            "payload_hash": record_key("payload", system, ref), "snapshot_id": "s_test",
            "extracted_at": EXTRACTED}


def bank(ref: str, amount: str, day: str, account: str = "DE001", currency: str = "EUR",
         e2e: str | None = None, text: str | None = None, name: str | None = None, **kw) -> dict:
    return {**_lineage("bank", ref), "account": account, "currency": currency,
            "amount": Decimal(amount), "booking_date": dt.date.fromisoformat(day),
            "value_date": dt.date.fromisoformat(day), "status": "booked", "statement_id": "st1",
            "entry_seq": next(_seq), "entry_amount": Decimal(amount), "acct_svcr_ref": ref,
            "end_to_end_id": e2e, "remittance_text": text, "counterparty_name": name, **kw}


def erp(doc: str, amount: str | None, day: str, gl: str = "113100", cc: str = "DE01",
        ref: str | None = None, line: int = 1, account_type: str = "S", currency: str = "EUR",
        **kw) -> dict:
    source_ref = f"{cc}/2026/{doc}/{line}"
    return {**_lineage("erp", source_ref), "company_code": cc, "fiscal_year": 2026,
            "document_number": doc, "line_item": line, "posting_date": dt.date.fromisoformat(day),
            "gl_account": gl, "account_type": account_type, "currency": currency,
            "amount": None if amount is None else Decimal(amount),
            "amount_local": None if amount is None else Decimal(amount), "reference": ref, **kw}


def balanced(line: dict, offset_gl: str = "400000") -> list[dict]:
    """The line plus an offset line so its journal document balances."""
    other = erp(line["document_number"], str(-line["amount"]), str(line["posting_date"]),
                gl=offset_gl, cc=line["company_code"], line=line["line_item"] + 1)
    return [line, other]


def load(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    data = to_arrow(table, rows)
    con.register("_rows", data)
    con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM _rows')
    con.unregister("_rows")


def reference(con: duckdb.DuckDBPyConnection) -> None:
    """One entity with one bank account, a customer and a vendor."""
    con.execute("INSERT INTO entity VALUES ('DE01', 'Recon GmbH', 'EUR'), ('US01', 'Recon Inc', 'USD')")
    con.execute("INSERT INTO account VALUES ('DE001', 'DE01', '113100', 'EUR'), "
                "('US001', 'US01', '113100', 'USD')")


def publish_rows(home, bank_rows: list[dict], erp_rows: list[dict], as_of: dt.date):
    """Run matching on hand-made rows and publish the result under ``home``."""
    from jobs import warehouse
    from jobs.matching.lifecycle import persist
    from jobs.matching.run import match
    from jobs.publish import publish
    from jobs.settings import Settings

    settings = Settings.load(home=home)
    con = warehouse.connect(home)
    try:
        if not con.execute("SELECT count(*) FROM entity").fetchone()[0]:
            reference(con)
        load(con, "bank_transaction", bank_rows)
        load(con, "ledger_line", erp_rows)
        match(con, settings, as_of)
        run_id = f"r{as_of:%Y%m%d}-{next(_seq)}"
        persist(con, run_id, as_of)
        return publish(con, settings, run_id, as_of, {"sources": "test"})
    finally:
        con.close()


def billing(stripe_id: str, kind: str, amount: str, day: str, currency: str = "EUR", **kw) -> dict:
    return {**_lineage("billing", stripe_id), "kind": kind, "currency": currency,
            "amount": Decimal(amount),
            "created": dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=dt.UTC), **kw}


def purchase_order(po: str, version: int, total: str, day: str, supplier: str = "SUP1",
                   cc: str = "DE01") -> dict:
    return {**_lineage("procurement", f"{po}#v{version}"), "po_id": f"{po}-{version}",
            "po_number": po, "version": version, "company_code": cc, "currency": "EUR",
            "supplier_id": supplier, "total": Decimal(total),
            "created_at": dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)}


def receipt(rid: str, po: str, qty: str, day: str) -> dict:
    return {**_lineage("procurement", rid), "receipt_id": rid, "po_number": po, "line_num": 1,
            "quantity": Decimal(qty),
            "received_at": dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)}


def supplier_invoice(iid: str, number: str, po: str, total: str, day: str,
                     supplier: str = "SUP1") -> dict:
    return {**_lineage("procurement", iid), "invoice_id": iid, "invoice_number": number,
            "supplier_id": supplier, "invoice_date": dt.date.fromisoformat(day), "currency": "EUR",
            "total": Decimal(total), "po_number": po,
            "created_at": dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)}
