"""Normalised current records (SPEC §2 step 2): the latest version of every record of each
transaction table, in the shape matching reads, kept in the warehouse snapshot by snapshot.

Working out the latest version of millions of records (a window over every version) and
normalising their references (regular expressions on every row) took most of a matching run
and, at 5M records, more memory than the default limit; both only ever change with a new
snapshot. So ``refresh`` applies the snapshots that arrived since the last run and leaves the
rest alone: the cost follows the delta, not the history.

Only what depends on a record alone is kept here; whatever depends on reference data or on
other records (accounts, customer mappings, a refund's charge, a PO's latest version) is joined
when matching prepares its inputs, so a master-data change takes effect in the next run.

A replay (``until``) and the distributed engine read the same SELECTs over the versioned
tables instead (``source_sql``), so both paths normalise identically.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

from jobs.matching.steps import norm
from jobs.warehouse import current_view_sql

_LINEAGE = "t.record_id, t.snapshot_id, t.extracted_at, t.source_position"


@dataclass(frozen=True)
class Normalised:
    table: str      # versioned source table
    name: str       # the maintained table of current normalised records
    select: str     # over ``{source} t``: one output row per version

    def over(self, source: str) -> str:
        return self.select.format(source=source)

    @property
    def fingerprint(self) -> str:
        """Changes when the normalisation does: a table built by other code is rebuilt."""
        return hashlib.sha256(self.select.encode()).hexdigest()[:16]


NORMALISED = {n.table: n for n in (
    Normalised("bank_transaction", "norm_bank", f"""
        SELECT {_LINEAGE}, t.status, t.source_ref, t.account, {norm('t.account')} AS account_key,
               t.currency, t.amount, t.booking_date AS event_date, t.value_date, t.correlation_id,
               CASE WHEN {norm('t.end_to_end_id')} IN ('NOTPROVIDED', 'NONREF') THEN NULL
                    ELSE {norm('t.end_to_end_id')} END AS ref,
               upper(concat_ws(' ', t.remittance_text, t.structured_reference,
                               t.structured_reference_core)) AS text,
               -- the same text cut where a lower-case letter or a digit runs into a letter:
               -- word boundaries lost when a bank joined fixed-width remittance lines
               -- ('SammelzahlungINV-GB01-...', '...0000171INV-DE01-...')
               upper(regexp_replace(regexp_replace(
                   concat_ws(' ', t.remittance_text, t.structured_reference),
                   '([a-z])([A-Z])', '\\1 \\2', 'g'), '([0-9])([A-Za-z])', '\\1 \\2', 'g'))
                   AS text_cut,
               t.counterparty_name AS name, t.charges_amount, t.instructed_amount,
               t.instructed_currency,
               -- the entry a transaction detail of a batch belongs to, and the entry's amount
               CASE WHEN t.detail_count > 1
                    THEN concat_ws('#', t.account, t.statement_id, t.entry_seq) END
                   AS batch_entry,
               CASE WHEN t.detail_count > 1 THEN t.entry_amount END AS entry_amount
        FROM {{source}} t"""),
    Normalised("ledger_line", "norm_erp", f"""
        SELECT {_LINEAGE}, t.source_ref, t.company_code AS entity, t.fiscal_year,
               t.document_number, t.gl_account, t.account_type, t.customer, t.vendor, t.currency,
               t.amount, coalesce(t.amount_local, t.amount) AS amount_local,
               t.posting_date AS event_date, t.entry_timestamp AS entered_at,
               t.correlation_id, {norm('t.reference')} AS ref,
               {norm('t.assignment')} AS ref2, {norm('t.document_number')} AS doc,
               t.text AS name, t.trading_partner,
               {norm('t.purchase_order')} AS po
        FROM {{source}} t"""),
    Normalised("billing_event", "norm_billing", f"""
        SELECT {_LINEAGE}, t.source_ref, t.kind, t.status, upper(t.currency) AS currency,
               t.amount, t.fee, t.net, CAST(timezone('UTC', t.created) AS DATE) AS event_date,
               t.correlation_id, t.customer_id, t.invoice_id, t.charge_id, t.invoice_number,
               {norm('t.source_ref')} AS ref
        FROM {{source}} t"""),
    Normalised("purchase_order", "norm_po", f"""
        SELECT {_LINEAGE}, t.source_ref, t.po_number, {norm('t.po_number')} AS po, t.version,
               t.company_code AS entity, t.currency, t.total AS amount,
               CAST(timezone('UTC', coalesce(t.updated_at, t.created_at)) AS DATE) AS event_date,
               t.supplier_id, t.correlation_id
        FROM {{source}} t"""),
    Normalised("receipt", "norm_receipt", f"""
        SELECT {_LINEAGE}, t.source_ref, {norm('t.po_number')} AS po, t.line_num, t.quantity,
               CAST(timezone('UTC', t.received_at) AS DATE) AS event_date, t.correlation_id
        FROM {{source}} t"""),
    Normalised("supplier_invoice", "norm_sinv", f"""
        SELECT {_LINEAGE}, t.source_ref, t.invoice_number, {norm('t.invoice_number')} AS ref,
               {norm('t.po_number')} AS po, t.supplier_id, t.currency, t.total AS amount,
               t.invoice_date AS event_date, t.created_at, t.correlation_id
        FROM {{source}} t"""),
)}


def source_sql(table: str, maintained: bool) -> str:
    """What matching reads for ``table``: the maintained table, or the same normalisation over
    the current view (which honours a replay's ``$until``)."""
    n = NORMALISED[table]
    return n.name if maintained else f"({n.over('(' + current_view_sql(table, until=True) + ')')})"


def current_rows_sql(table: str, maintained: bool) -> str:
    """Every column of the current version of each record of ``table``: the rows the normalised
    table names (a semi-join on their key; the window of ``current_view_sql`` over every version
    with its raw payload ran out of memory at 5M), or the current view (a replay's ``$until``)."""
    if not maintained:
        return current_view_sql(table, until=True)
    return (f'SELECT t.* FROM "{table}" t SEMI JOIN {NORMALISED[table].name} k '
            "ON k.record_id = t.record_id AND k.snapshot_id = t.snapshot_id "
            "AND k.source_position = t.source_position")


_STATE = """CREATE TABLE IF NOT EXISTS normalised_snapshot (
    table_name VARCHAR, snapshot_id VARCHAR, fingerprint VARCHAR, row_count BIGINT)"""
_HELD = "SELECT snapshot_id FROM snapshot WHERE status = 'held_back'"

# The newest version of each record among the given snapshots: the window runs over the
# narrow key columns only (over whole rows it ran out of memory at 5M), and the rows are then
# read by their unique key (a record appears once per position of a snapshot).
_LATEST = """
    SELECT * FROM "{table}" SEMI JOIN (
        SELECT record_id, snapshot_id, source_position FROM "{table}"
        WHERE snapshot_id IN (SELECT snapshot_id FROM _norm_delta)
        QUALIFY row_number() OVER (PARTITION BY record_id
                                   ORDER BY extracted_at DESC, snapshot_id DESC,
                                            source_position DESC) = 1)
    USING (record_id, snapshot_id, source_position)"""


def refresh(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Bring every normalised table up to date; the records (re)written per table.

    A table is rebuilt from all its versions when it is missing, was built by a different
    normalisation, or holds a snapshot that has since been held back; otherwise only the
    snapshots not applied yet are read, and a record's version replaces the kept one only if it
    is newer (the order of ``current_view_sql``).
    """
    con.execute(_STATE)
    written = {}
    for n in NORMALISED.values():
        con.execute("BEGIN TRANSACTION")
        try:
            written[n.table] = _refresh_one(con, n)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return written


def _refresh_one(con: duckdb.DuckDBPyConnection, n: Normalised) -> int:
    rebuild = con.execute(f"""
        SELECT NOT EXISTS (SELECT 1 FROM duckdb_tables() WHERE database_name = current_database()
                             AND schema_name = 'main' AND table_name = ?)
            OR EXISTS (SELECT 1 FROM normalised_snapshot WHERE table_name = ?
                         AND (fingerprint <> ? OR snapshot_id IN ({_HELD})))""",
                          [n.name, n.table, n.fingerprint]).fetchone()[0]
    if rebuild:
        con.execute("DELETE FROM normalised_snapshot WHERE table_name = ?", [n.table])
    # Snapshots not applied yet, or whose row count changed since (a snapshot's rows are
    # written once by ingest; counting makes rows added later under its id count too).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _norm_delta AS
        SELECT snapshot_id, count(*) AS row_count FROM "{n.table}"
        WHERE snapshot_id NOT IN ({_HELD}) GROUP BY snapshot_id
        EXCEPT SELECT snapshot_id, row_count FROM normalised_snapshot WHERE table_name = ?""",
                [n.table])
    latest = n.over("(" + _LATEST.format(table=n.table) + ")")
    if rebuild:  # straight into a new table: far cheaper than merging into an empty one
        written = con.execute(f'CREATE OR REPLACE TABLE "{n.name}" AS {latest}').fetchone()[0]
    elif not con.execute("SELECT count(*) FROM _norm_delta").fetchone()[0]:
        return 0
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _norm_rows AS {latest}")
        con.execute(f"""
            DELETE FROM "{n.name}" k USING _norm_rows d
            WHERE k.record_id = d.record_id
              AND (d.extracted_at > k.extracted_at
                   OR (d.extracted_at = k.extracted_at AND d.snapshot_id > k.snapshot_id)
                   OR (d.extracted_at = k.extracted_at AND d.snapshot_id = k.snapshot_id
                       AND d.source_position > k.source_position))""")
        written = con.execute(f"""
            INSERT INTO "{n.name}" SELECT * FROM _norm_rows d
            WHERE NOT EXISTS (SELECT 1 FROM "{n.name}" k WHERE k.record_id = d.record_id)"""
                              ).fetchone()[0]
        con.execute("DROP TABLE _norm_rows")
    con.execute("DELETE FROM normalised_snapshot WHERE table_name = ? "
                "AND snapshot_id IN (SELECT snapshot_id FROM _norm_delta)", [n.table])
    con.execute("INSERT INTO normalised_snapshot SELECT ?, snapshot_id, ?, row_count "
                "FROM _norm_delta", [n.table, n.fingerprint])
    return written
