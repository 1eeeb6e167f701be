"""Retention: close-period results kept for audit, replaced record versions pruned in a window."""

from __future__ import annotations

import datetime as dt

from jobs import warehouse
from jobs.retention import close_dir, keep_close_period, prune_versions
from jobs.settings import Settings
from tests.rows import bank, load


def test_last_run_of_each_period_is_kept(tmp_path):
    settings = Settings.load(home=tmp_path, retention={"close_periods": 2})
    runs = tmp_path / "published"
    runs.mkdir()
    for name, as_of in [("r1", "2026-09-30"), ("r2", "2026-10-15"), ("r3", "2026-10-31"),
                        ("r4", "2026-11-02")]:
        path = runs / f"{name}.duckdb"
        path.write_text(name)
        keep_close_period(settings, path, dt.date.fromisoformat(as_of))
    kept = {p.name: p.read_text() for p in close_dir(tmp_path).glob("*.duckdb")}
    assert kept == {"2026-10.duckdb": "r3", "2026-11.duckdb": "r4"}  # 2026-09 beyond 2 periods
    (runs / "r3.duckdb").unlink()  # pruning a recent run never removes its close copy
    assert (close_dir(tmp_path) / "2026-10.duckdb").read_text() == "r3"


def test_replaced_versions_pruned_only_outside_the_window(tmp_path):
    settings = Settings.load(home=tmp_path, retention={"superseded_versions_days": 30})
    con = warehouse.connect(tmp_path)
    old = bank("B1", "10.00", "2026-01-01")
    old["extracted_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    new = dict(old, amount=old["amount"] + 1, snapshot_id="s_new",
               extracted_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    lone = bank("B2", "20.00", "2026-01-01")
    lone["extracted_at"] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    load(con, "bank_transaction", [old, new, lone])
    assert prune_versions(con, settings, now=dt.datetime(2026, 1, 15, tzinfo=dt.UTC)) == 0
    assert prune_versions(con, settings, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)) == 1
    left = con.execute("SELECT source_ref, amount FROM bank_transaction ORDER BY 1").fetchall()
    assert [(r, str(a)) for r, a in left] == [("B1", "11.0000"), ("B2", "20.0000")]
    assert prune_versions(con, Settings.load(home=tmp_path)) == 0  # unset: keep everything
