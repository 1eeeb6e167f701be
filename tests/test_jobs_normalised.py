"""The maintained normalised tables always equal the normalisation of the current versions,
whatever order snapshots arrive in, and matching reads the same inputs either way."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs import warehouse
from jobs.matching.prepare import prepare_steps
from jobs.normalised import NORMALISED, current_rows_sql, refresh, source_sql
from tests.rows import (
    balanced,
    bank,
    billing,
    erp,
    load,
    purchase_order,
    receipt,
    reference,
    supplier_invoice,
)

T0 = dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)


def _in(snapshot: str, at: dt.datetime, rows: list[dict]) -> list[dict]:
    return [{**r, "snapshot_id": snapshot, "extracted_at": at} for r in rows]


def _deliver(con, snapshot: str, at: dt.datetime, table: str, rows: list[dict]) -> None:
    con.execute("INSERT INTO snapshot (snapshot_id, source_system, connector, source, "
                "content_hash, extracted_at, record_count, status) "
                "VALUES (?, 'test', 'test', ?, ?, ?, 0, 'ok') "
                "ON CONFLICT DO NOTHING", [snapshot, snapshot, snapshot, at])
    load(con, table, _in(snapshot, at, rows))


def _differences(con) -> dict[str, int]:
    """Rows in one and not the other, per table: maintained vs normalised current view."""
    out = {}
    for table, n in NORMALISED.items():
        view = source_sql(table, maintained=False)
        out[table] = con.execute(
            f"SELECT count(*) FROM ((SELECT * FROM {n.name} EXCEPT ALL SELECT * FROM {view}) "
            f"UNION ALL (SELECT * FROM {view} EXCEPT ALL SELECT * FROM {n.name}))",
            {"until": None}).fetchone()[0]
    return out


@pytest.fixture
def con(tmp_path):
    c = warehouse.connect(tmp_path)
    reference(c)
    _deliver(c, "s1", T0, "bank_transaction", [
        bank("B1", "100.00", "2026-01-20", e2e="inv-1", text="Invoice INV 1"),
        bank("B2", "-40.00", "2026-01-21", name="Initech GmbH")])
    _deliver(c, "s1", T0, "ledger_line", balanced(erp("D1", "100.00", "2026-01-20", ref="INV-1")))
    _deliver(c, "s1", T0, "billing_event", [
        billing("in_1", "invoice", "0", "2026-01-20", invoice_number="A1-0001"),
        billing("ch_1", "charge", "50.00", "2026-01-20", invoice_id="in_1", customer_id="cus_1")])
    _deliver(c, "s1", T0, "purchase_order", [purchase_order("PO-1", 1, "100.00", "2026-01-10")])
    _deliver(c, "s1", T0, "receipt", [receipt("R1", "PO-1", "1", "2026-01-12")])
    _deliver(c, "s1", T0, "supplier_invoice",
             [supplier_invoice("SI1", "V-1", "PO-1", "100.00", "2026-01-15")])
    yield c
    c.close()


def test_first_refresh_builds_every_table(con):
    written = refresh(con)
    assert written == {"bank_transaction": 2, "ledger_line": 2, "billing_event": 2,
                       "purchase_order": 1, "receipt": 1, "supplier_invoice": 1}
    assert set(_differences(con).values()) == {0}
    assert con.execute("SELECT ref, text_cut FROM norm_bank WHERE source_ref = 'B1'"
                       ).fetchone() == ("INV1", "INVOICE INV 1")
    assert refresh(con) == dict.fromkeys(NORMALISED, 0)  # nothing new: nothing read


def test_newer_versions_replace_and_older_ones_do_not(con):
    refresh(con)
    later, earlier = T0 + dt.timedelta(hours=1), T0 - dt.timedelta(hours=1)
    _deliver(con, "s2", later, "bank_transaction", [
        bank("B1", "101.00", "2026-01-20", e2e="inv-1"), bank("B3", "7.00", "2026-01-22")])
    _deliver(con, "s0", earlier, "bank_transaction", [bank("B2", "-99.00", "2026-01-21")])
    assert refresh(con)["bank_transaction"] == 2  # B1's new version and B3; not the old B2
    assert set(_differences(con).values()) == {0}
    assert con.execute("SELECT source_ref, amount FROM norm_bank ORDER BY 1").fetchall() == [
        ("B1", 101), ("B2", -40), ("B3", 7)]


def test_a_snapshot_held_back_later_is_taken_out(con):
    _deliver(con, "s2", T0 + dt.timedelta(hours=1), "ledger_line",
             balanced(erp("D1", "150.00", "2026-01-20", ref="INV-1")))
    refresh(con)
    assert con.execute("SELECT max(amount) FROM norm_erp").fetchone()[0] == 150
    con.execute("UPDATE snapshot SET status = 'held_back' WHERE snapshot_id = 's2'")
    refresh(con)
    assert set(_differences(con).values()) == {0}
    assert con.execute("SELECT max(amount) FROM norm_erp").fetchone()[0] == 100


def test_rows_added_under_an_applied_snapshot_and_other_normalisations_are_picked_up(con):
    refresh(con)
    load(con, "receipt", _in("s1", T0, [receipt("R2", "PO-1", "2", "2026-01-13")]))
    assert refresh(con)["receipt"] == 1
    con.execute("UPDATE normalised_snapshot SET fingerprint = 'older code' "
                "WHERE table_name = 'purchase_order'")
    assert refresh(con)["purchase_order"] == 1  # rebuilt
    assert set(_differences(con).values()) == {0}


def test_matching_inputs_are_the_same_from_either_source(con):
    refresh(con)
    made = {}
    for maintained in (True, False):
        for step in prepare_steps(maintained):
            con.execute(step.sql, {"until": None} if "$until" in step.sql else {})
        made[maintained] = {t: con.execute(f"SELECT * FROM {t} ORDER BY record_id").fetchall()
                            for t in ("recon__bank", "recon__erp", "recon__billing",
                                      "recon__po_all", "recon__receipt", "recon__sinv")}
    assert made[True] == made[False]
    assert all(made[True].values())


def test_current_rows_through_the_normalised_keys_are_the_current_view(con):
    _deliver(con, "s2", T0 + dt.timedelta(hours=1), "bank_transaction",
             [bank("B1", "101.00", "2026-01-20", e2e="inv-1"), bank("B3", "7.00", "2026-01-22")])
    refresh(con)
    for table in NORMALISED:
        kept, view = current_rows_sql(table, True), current_rows_sql(table, False)
        rows, differ = con.execute(
            f"SELECT (SELECT count(*) FROM ({kept})), (SELECT count(*) FROM "
            f"((FROM ({kept}) EXCEPT ALL FROM ({view})) UNION ALL "
            f"(FROM ({view}) EXCEPT ALL FROM ({kept}))))", {"until": None}).fetchone()
        assert rows > 0 and differ == 0, table
