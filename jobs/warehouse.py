"""The working DuckDB database: snapshots, canonical records and run history (SPEC §12).

Only the pipeline opens it, for writing; readers use the published artifact instead
(``jobs.published``). The schema comes from the canonical model; ``schema_version`` and the
ordered migrations below let a database written by an older recon open and upgrade.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb

from connectors.canonical import TRANSACTION_TABLES
from jobs.schema import all_tables, columns, create_table_sql

WAREHOUSE_FILE = "warehouse.duckdb"

# Transaction tables keep every snapshot's version of a record, so no primary key there;
# readers take the latest version per record_id (see ``current_view_sql``).
_VERSIONED = set(TRANSACTION_TABLES)
# Rebuilt whole by every run (``jobs.matching.lifecycle.persist``), so no key index to maintain:
# it cost more than the rows themselves (15 s against 4 s at 1M records). Matching guarantees
# one group per record, which the property tests check.
REBUILT = frozenset({"match_group", "match_member"})


def _keyed(name: str) -> bool:
    return name not in _VERSIONED and name not in REBUILT


def _create_all(con: duckdb.DuckDBPyConnection) -> None:
    for name in all_tables():
        con.execute(create_table_sql(name, primary_key=_keyed(name)))


def _add_missing_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Additive upgrade: columns the model has and an older database lacks."""
    for name in all_tables():
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
        ).fetchall()}
        if not have:
            con.execute(create_table_sql(name, primary_key=_keyed(name)))
            continue
        for col, typ in columns(name).items():
            if col not in have:
                con.execute(f'ALTER TABLE "{name}" ADD COLUMN "{col}" {typ}')


Migration = tuple[int, str, Callable[[duckdb.DuckDBPyConnection], None]]

MIGRATIONS: list[Migration] = [
    (1, "initial schema from the canonical model", _create_all),
    (2, "columns added to the canonical model since version 1", _add_missing_columns),
    (3, "job_run.retries", _add_missing_columns),
    (4, "ledger_line.currency may be missing (a source-system defect, not a crash)",
     lambda con: con.execute("ALTER TABLE ledger_line ALTER COLUMN currency DROP NOT NULL")),
    (5, "ledger_line.gl_account and account_type may be missing (a defect, not a crash)",
     lambda con: [con.execute(f"ALTER TABLE ledger_line ALTER COLUMN {c} DROP NOT NULL")
                  for c in ("gl_account", "account_type")]),
    (6, "bank_transaction.structured_reference_core", _add_missing_columns),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the database to SCHEMA_VERSION; return the versions applied."""
    con.execute("""CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMPTZ)""")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"warehouse schema version {current} is newer than this recon ({SCHEMA_VERSION}); "
            "upgrade recon")
    if current == 0:
        # A new database gets the current model directly: it *is* the latest version.
        con.execute("BEGIN TRANSACTION")
        _create_all(con)
        con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                    [SCHEMA_VERSION, "created from the canonical model", dt.datetime.now(dt.UTC)])
        con.execute("COMMIT")
        return [SCHEMA_VERSION]
    applied = []
    for version, description, step in MIGRATIONS:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        step(con)
        con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                    [version, description, dt.datetime.now(dt.UTC)])
        con.execute("COMMIT")
        applied.append(version)
    return applied


def connect(home: Path, read_only: bool = False, memory_limit: str | None = None,
            threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating and migrating if needed) the working warehouse under ``home``.

    With ``memory_limit``, DuckDB spills what does not fit to ``<home>/tmp``.
    """
    home.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(home / WAREHOUSE_FILE), read_only=read_only)
    con.execute("SET enable_progress_bar = false")  # a job's log is not a terminal
    if memory_limit:
        con.execute(f"SET temp_directory = '{_sql_text(str(home / 'tmp'))}'")
        con.execute(f"SET memory_limit = '{_sql_text(memory_limit)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if not read_only:
        migrate(con)
    return con


def current_view_sql(table: str, until: bool = False) -> str:
    """SELECT of the latest version of every record of a transaction table.

    With ``until``, only versions extracted up to the bound parameter ``$until`` (NULL: all)
    count, which is how a replay sees the warehouse as it was at a past snapshot.
    """
    if table not in _VERSIONED:
        raise ValueError(f"{table} is not a versioned table")
    cutoff = ("AND (CAST($until AS TIMESTAMPTZ) IS NULL OR extracted_at <= CAST($until AS TIMESTAMPTZ)) "
              if until else "")
    # A held-back snapshot (failed validation wholesale) never replaces the last good version.
    return (f'SELECT * FROM "{table}" WHERE snapshot_id NOT IN '
            f"(SELECT snapshot_id FROM snapshot WHERE status = 'held_back') {cutoff}"
            "QUALIFY row_number() OVER "
            "(PARTITION BY record_id ORDER BY extracted_at DESC, snapshot_id DESC, "
            "source_position DESC) = 1")


def _sql_text(value: str) -> str:
    """A value for a SET statement, which takes no parameters."""
    return value.replace("'", "''")
