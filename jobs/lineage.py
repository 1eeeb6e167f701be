"""Published lineage: every in-scope record with its raw payload and origin, and every
identifier a person might search for (SPEC §8), so the dashboard can trace one transaction
across systems without opening the warehouse."""

from __future__ import annotations

from jobs.matching.steps import norm
from jobs.warehouse import current_view_sql

# Identifiers worth searching, per canonical table.
SEARCH_KEYS = {
    "bank_transaction": ["source_ref", "end_to_end_id", "acct_svcr_ref", "structured_reference",
                         "statement_id", "correlation_id"],
    "ledger_line": ["source_ref", "reference", "assignment", "document_number", "purchase_order",
                    "correlation_id"],
    "billing_event": ["source_ref", "invoice_number", "invoice_id", "charge_id", "payout_id",
                      "balance_transaction_id", "correlation_id"],
    "purchase_order": ["source_ref", "po_number", "po_id", "correlation_id"],
    "receipt": ["source_ref", "receipt_id", "po_number", "correlation_id"],
    "supplier_invoice": ["source_ref", "invoice_id", "invoice_number", "po_number", "correlation_id"],
}


def lineage_sql() -> str:
    """Origin columns and search keys of the current version of every record, across all
    transaction tables: one pass over each table's current view (a pass per key column made
    publishing the slowest stage of a cycle)."""
    parts = []
    for table, columns in SEARCH_KEYS.items():
        keys = ", ".join(norm(column) for column in columns)
        parts.append(f"""SELECT record_id, snapshot_id, source_file, source_position, extracted_at,
                                CAST(raw AS VARCHAR) AS raw, [{keys}] AS keys
                         FROM ({current_view_sql(table, until=True)})""")
    return " UNION ALL ".join(parts)


def record_sql() -> str:
    """Published records: every in-scope record with its origin, match, exception and the
    identifiers it can be found by (``search_keys``)."""
    return f"""
        SELECT s.record_id, s.source_system, s.source_ref, s.workflow, s.entity, s.currency,
               s.amount, s.event_date, s.correlation_id, o.snapshot_id, o.source_file,
               o.source_position, o.extracted_at, o.raw, g.match_id, x.exception_id,
               o.keys AS search_keys
        FROM recon__scope s
        LEFT JOIN ({lineage_sql()}) o USING (record_id)
        LEFT JOIN (SELECT DISTINCT record_id, match_id FROM recon__groups) g USING (record_id)
        LEFT JOIN (SELECT record_id, exception_id FROM recon__exc_now) x USING (record_id)"""


def keys_sql(records: str) -> str:
    """Every searchable identifier (normalised) of the published records, for lookups."""
    return f"""
        SELECT DISTINCT key, record_id
        FROM (SELECT record_id, unnest(search_keys) AS key FROM {records})
        WHERE key IS NOT NULL"""
