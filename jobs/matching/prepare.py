"""Inputs of matching: the latest version of every record, normalised, defects and duplicates set aside.

Each ``recon__*`` table is one workflow input with a common shape (record_id, source_system,
source_ref, entity, currency, amount, event_date, ref) plus what its rules need, and nothing
else: every column is copied for millions of records each run.
"""

from __future__ import annotations

from jobs.matching.steps import Step, norm
from jobs.normalised import source_sql


def prepare_steps(maintained: bool = False) -> list[Step]:
    """``maintained``: read the normalised tables ``jobs.normalised.refresh`` keeps; otherwise
    normalise the current versions here (a replay, another engine)."""
    bank, erp, billing, po, receipt, sinv = (
        source_sql(t, maintained) for t in ("bank_transaction", "ledger_line", "billing_event",
                                            "purchase_order", "receipt", "supplier_invoice"))
    return [
        Step("claimed", "CREATE OR REPLACE TEMP TABLE recon__claimed (record_id VARCHAR)"),
        Step("fx both ways", """
            CREATE OR REPLACE TEMP TABLE recon__fx AS
            SELECT date, from_currency, to_currency, rate FROM fx_rate
            UNION ALL SELECT date, to_currency, from_currency, 1 / rate FROM fx_rate
            UNION ALL SELECT DISTINCT date, from_currency, from_currency, 1 FROM fx_rate"""),
        Step("accounts", f"""
            CREATE OR REPLACE TEMP TABLE recon__account AS
            SELECT {norm('account')} AS account_key, company_code, gl_account, currency
            FROM account"""),
        Step("bank", f"""
            CREATE OR REPLACE TEMP TABLE recon__bank AS
            SELECT t.record_id, 'bank' AS source_system, t.source_ref,
                   a.company_code AS entity, a.gl_account, t.currency, t.amount, t.event_date,
                   t.correlation_id, t.ref, t.text, t.text_cut, t.name, t.charges_amount,
                   t.instructed_currency, t.batch_entry, t.entry_amount,
                   a.account_key IS NULL AS unmapped_account
            FROM {bank} t
            LEFT JOIN recon__account a ON a.account_key = t.account_key
            WHERE t.status = 'booked'"""),
        Step("erp", f"""
            CREATE OR REPLACE TEMP TABLE recon__erp AS
            SELECT * FROM (
            SELECT t.record_id, 'erp' AS source_system, t.source_ref, t.entity, t.fiscal_year,
                   t.document_number, t.gl_account, t.account_type, t.customer, t.vendor,
                   t.currency, t.amount, t.event_date, t.entered_at, t.correlation_id, t.ref,
                   t.ref2, t.doc, t.name, t.trading_partner, t.po,
                   EXISTS (SELECT 1 FROM recon__account a WHERE a.company_code = t.entity
                           AND a.gl_account = t.gl_account) AS on_bank_gl
            FROM {erp} t)
            -- a ledger line off the bank accounts, with no trading partner and no reference
            -- (revenue, expense and clearing offsets: half the lines) is in no workflow and no
            -- rule can reach it; only its document's balance needs it (``erp documents``)
            WHERE on_bank_gl OR account_type IS DISTINCT FROM 'S' OR gl_account IS NULL
               OR trading_partner IS NOT NULL OR ref IS NOT NULL OR ref2 IS NOT NULL"""),
        Step("erp documents", f"""
            CREATE OR REPLACE TEMP TABLE recon__unbalanced AS
            SELECT entity, fiscal_year, document_number, sum(amount_local) AS doc_sum
            FROM {erp} GROUP BY entity, fiscal_year, document_number
            HAVING count(*) = count(amount_local) AND sum(amount_local) <> 0"""),
        Step("erp keys", """
            CREATE OR REPLACE TEMP TABLE recon__erp_key AS
            -- each key of a line once, without de-duplicating two million rows
            SELECT record_id, ref AS key FROM recon__erp WHERE ref IS NOT NULL
            UNION ALL
            SELECT record_id, ref2 FROM recon__erp WHERE ref2 IS NOT NULL
                                                  AND ref2 IS DISTINCT FROM ref
            UNION ALL
            -- a bank line's document number: payment runs send it as the payment reference
            SELECT record_id, doc FROM recon__erp
            WHERE on_bank_gl AND doc IS NOT NULL AND doc IS DISTINCT FROM ref
              AND doc IS DISTINCT FROM ref2"""),
        Step("billing", f"""
            CREATE OR REPLACE TEMP TABLE recon__billing AS
            SELECT t.record_id, 'billing' AS source_system, t.source_ref, t.kind, t.currency,
                   t.amount, t.event_date, t.correlation_id,
                   {norm('i.invoice_number')} AS invoice_ref, t.ref, c.erp_id AS erp_customer,
                   c.company_code AS entity
            FROM {billing} t
            LEFT JOIN (SELECT source_ref, any_value(invoice_id) AS invoice_id,
                              any_value(customer_id) AS customer_id
                       FROM {billing} WHERE kind = 'charge' GROUP BY source_ref) ch
                   -- one equality (a hash join): an extra condition here made it a nested loop
                   ON ch.source_ref = CASE WHEN t.kind = 'refund' THEN t.charge_id END
            LEFT JOIN (SELECT source_ref, any_value(invoice_number) AS invoice_number
                       FROM {billing} WHERE kind = 'invoice' GROUP BY source_ref) i
                   ON i.source_ref = coalesce(t.invoice_id, ch.invoice_id)
            LEFT JOIN counterparty c ON c.kind = 'customer'
                 AND c.system_id = coalesce(t.customer_id, ch.customer_id)
            WHERE t.kind IN ('charge', 'refund', 'payout')
              AND coalesce(t.status, 'succeeded') NOT IN ('failed', 'canceled', 'pending')"""),
        Step("purchase orders", f"""
            CREATE OR REPLACE TEMP TABLE recon__po_all AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, t.po_number, t.po,
                   t.version, t.entity, t.currency, t.amount, t.event_date, t.supplier_id,
                   t.correlation_id,
                   t.version = max(t.version) OVER (PARTITION BY t.po_number) AS latest
            FROM {po} t"""),
        Step("receipts", f"""
            CREATE OR REPLACE TEMP TABLE recon__receipt AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, t.po, t.line_num,
                   t.quantity, t.event_date, t.correlation_id
            FROM {receipt} t"""),
        Step("supplier invoices", f"""
            CREATE OR REPLACE TEMP TABLE recon__sinv AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, t.invoice_number,
                   t.ref, t.po, t.supplier_id, t.currency, t.amount, t.event_date, t.created_at,
                   t.correlation_id, v.erp_id AS erp_vendor, v.company_code AS vendor_entity
            FROM {sinv} t
            LEFT JOIN counterparty v ON v.kind = 'vendor' AND v.system_id = t.supplier_id"""),
    ]
