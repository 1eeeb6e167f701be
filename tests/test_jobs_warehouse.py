"""Warehouse schema: derived from the model, versioned, and upgradable from an older version."""

from __future__ import annotations

import duckdb
import pytest

from jobs import warehouse
from jobs.schema import all_tables, columns


def _columns(con, table):
    return {r[0]: r[1] for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
        [table]).fetchall()}


def test_fresh_database_has_the_model_schema(tmp_path):
    con = warehouse.connect(tmp_path)
    for table in all_tables():
        assert list(_columns(con, table)) == list(columns(table)), table
    assert _columns(con, "bank_transaction")["amount"] == "DECIMAL(18,4)"
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == warehouse.SCHEMA_VERSION


def test_older_database_opens_and_upgrades(tmp_path):
    con = warehouse.connect(tmp_path)
    con.execute("INSERT INTO entity VALUES ('DE01', 'Recon GmbH', 'EUR')")
    # Make it look like a version-1 database written before these columns existed.
    con.execute("ALTER TABLE exception DROP COLUMN candidates")
    con.execute("ALTER TABLE bank_transaction DROP COLUMN charges_amount")
    con.execute("DELETE FROM schema_version")
    con.execute("INSERT INTO schema_version VALUES (1, 'initial schema', now())")
    con.close()
    con = warehouse.connect(tmp_path)
    assert "candidates" in _columns(con, "exception")
    assert "charges_amount" in _columns(con, "bank_transaction")
    assert con.execute("SELECT name FROM entity").fetchall() == [("Recon GmbH",)]
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == warehouse.SCHEMA_VERSION


def test_newer_database_is_refused(tmp_path):
    con = warehouse.connect(tmp_path)
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(RuntimeError, match="newer than this recon"):
        warehouse.connect(tmp_path)


def test_current_view_takes_latest_version(tmp_path):
    con = warehouse.connect(tmp_path)
    with pytest.raises(ValueError):
        warehouse.current_view_sql("entity")
    assert "QUALIFY" in warehouse.current_view_sql("bank_transaction")
    assert isinstance(con, duckdb.DuckDBPyConnection)


def test_tables_rebuilt_by_every_run_carry_no_key_index(tmp_path):
    con = warehouse.connect(tmp_path)
    keyed = {t for (t,) in con.execute("SELECT table_name FROM duckdb_constraints() "
                                       "WHERE constraint_type = 'PRIMARY KEY'").fetchall()}
    assert "exception" in keyed and "snapshot" in keyed
    assert not keyed & warehouse.REBUILT
