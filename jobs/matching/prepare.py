"""Inputs of matching: the latest version of every record, normalised, defects and duplicates set aside.

Each ``recon__*`` table is one workflow input with a common shape (record_id, source_system,
source_ref, entity, currency, amount, event_date, ref) plus what its rules need.
"""

from __future__ import annotations

from jobs.matching.steps import Step, norm
from jobs.warehouse import current_view_sql

_PAYOUT_REF = "STRIPE"


def prepare_steps() -> list[Step]:
    return [
        Step("claimed", "CREATE OR REPLACE TEMP TABLE recon__claimed (record_id VARCHAR)"),
        Step("accounts", f"""
            CREATE OR REPLACE TEMP TABLE recon__account AS
            SELECT {norm('account')} AS account_key, company_code, gl_account, currency
            FROM account"""),
        Step("bank", f"""
            CREATE OR REPLACE TEMP TABLE recon__bank AS
            SELECT t.record_id, 'bank' AS source_system, t.source_ref, t.account,
                   a.company_code AS entity, a.gl_account, t.currency, t.amount,
                   t.booking_date AS event_date, t.value_date, t.correlation_id,
                   CASE WHEN {norm('t.end_to_end_id')} IN ('NOTPROVIDED', 'NONREF') THEN NULL
                        ELSE {norm('t.end_to_end_id')} END AS ref,
                   upper(concat_ws(' ', t.remittance_text, t.structured_reference)) AS text,
                   -- the same text cut where a lower-case letter or a digit runs into a letter:
                   -- word boundaries lost when a bank joined fixed-width remittance lines
                   -- ('SammelzahlungINV-GB01-...', '...0000171INV-DE01-...')
                   upper(regexp_replace(regexp_replace(
                       concat_ws(' ', t.remittance_text, t.structured_reference),
                       '([a-z])([A-Z])', '\\1 \\2', 'g'), '([0-9])([A-Za-z])', '\\1 \\2', 'g'))
                       AS text_cut,
                   t.counterparty_name AS name, t.charges_amount, t.instructed_amount,
                   t.instructed_currency, a.account_key IS NULL AS unmapped_account
            FROM ({current_view_sql('bank_transaction', until=True)}) t
            LEFT JOIN recon__account a ON a.account_key = {norm('t.account')}
            WHERE t.status = 'booked'"""),
        Step("erp", f"""
            CREATE OR REPLACE TEMP TABLE recon__erp AS
            SELECT t.record_id, 'erp' AS source_system, t.source_ref, t.company_code AS entity,
                   t.fiscal_year, t.document_number, t.gl_account, t.account_type, t.customer,
                   t.vendor, t.currency, t.amount, coalesce(t.amount_local, t.amount) AS amount_local,
                   t.posting_date AS event_date, t.correlation_id,
                   {norm('t.reference')} AS ref, {norm('t.assignment')} AS ref2,
                   t.text AS name, t.trading_partner, {norm('t.purchase_order')} AS po,
                   EXISTS (SELECT 1 FROM recon__account a WHERE a.company_code = t.company_code
                           AND a.gl_account = t.gl_account) AS on_bank_gl
            FROM ({current_view_sql('ledger_line', until=True)}) t"""),
        Step("erp keys", """
            CREATE OR REPLACE TEMP TABLE recon__erp_key AS
            SELECT record_id, ref AS key FROM recon__erp WHERE ref IS NOT NULL
            UNION
            SELECT record_id, ref2 FROM recon__erp WHERE ref2 IS NOT NULL"""),
        Step("billing", f"""
            CREATE OR REPLACE TEMP TABLE recon__billing AS
            SELECT t.record_id, 'billing' AS source_system, t.source_ref, t.kind,
                   upper(t.currency) AS currency, t.amount, t.fee, t.net,
                   CAST(timezone('UTC', t.created) AS DATE) AS event_date, t.correlation_id,
                   coalesce(t.customer_id, ch.customer_id) AS customer_id, i.invoice_number, {norm('i.invoice_number')} AS invoice_ref,
                   {norm('t.source_ref')} AS ref, c.erp_id AS erp_customer, c.company_code AS entity
            FROM ({current_view_sql('billing_event', until=True)}) t
            LEFT JOIN (SELECT source_ref, any_value(invoice_id) AS invoice_id,
                              any_value(customer_id) AS customer_id
                       FROM ({current_view_sql('billing_event', until=True)}) WHERE kind = 'charge'
                       GROUP BY source_ref) ch
                   -- one equality (a hash join): an extra condition here made it a nested loop
                   ON ch.source_ref = CASE WHEN t.kind = 'refund' THEN t.charge_id END
            LEFT JOIN (SELECT source_ref, any_value(invoice_number) AS invoice_number
                       FROM ({current_view_sql('billing_event', until=True)}) WHERE kind = 'invoice'
                       GROUP BY source_ref) i
                   ON i.source_ref = coalesce(t.invoice_id, ch.invoice_id)
            LEFT JOIN counterparty c ON c.kind = 'customer'
                 AND c.system_id = coalesce(t.customer_id, ch.customer_id)
            WHERE t.kind IN ('charge', 'refund', 'payout')
              AND coalesce(t.status, 'succeeded') NOT IN ('failed', 'canceled', 'pending')"""),
        Step("purchase orders", f"""
            CREATE OR REPLACE TEMP TABLE recon__po_all AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, t.po_number,
                   {norm('t.po_number')} AS po, t.version, t.company_code AS entity, t.currency,
                   t.total AS amount, CAST(timezone('UTC', coalesce(t.updated_at, t.created_at)) AS DATE)
                   AS event_date, t.supplier_id, t.correlation_id,
                   t.version = max(t.version) OVER (PARTITION BY t.po_number) AS latest
            FROM ({current_view_sql('purchase_order', until=True)}) t"""),
        Step("receipts", f"""
            CREATE OR REPLACE TEMP TABLE recon__receipt AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, {norm('t.po_number')} AS po,
                   t.line_num, t.quantity, CAST(timezone('UTC', t.received_at) AS DATE) AS event_date,
                   t.correlation_id
            FROM ({current_view_sql('receipt', until=True)}) t"""),
        Step("supplier invoices", f"""
            CREATE OR REPLACE TEMP TABLE recon__sinv AS
            SELECT t.record_id, 'procurement' AS source_system, t.source_ref, t.invoice_number,
                   {norm('t.invoice_number')} AS ref, {norm('t.po_number')} AS po, t.supplier_id,
                   t.currency, t.total AS amount, t.invoice_date AS event_date, t.created_at,
                   t.correlation_id, v.erp_id AS erp_vendor, v.company_code AS vendor_entity
            FROM ({current_view_sql('supplier_invoice', until=True)}) t
            LEFT JOIN counterparty v ON v.kind = 'vendor' AND v.system_id = t.supplier_id"""),
    ]
