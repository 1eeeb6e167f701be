"""From rule outputs to results: scope per workflow, match groups, and cause-tagged exceptions.

Every in-scope record ends either in exactly one match group or in exactly one exception whose
cause is the first that applies, in the order of SPEC §5.3.
"""

from __future__ import annotations

from jobs.matching.steps import Step

RECORDS = """
    CREATE OR REPLACE TEMP TABLE recon__records AS
    -- with the rule outcome of each record: the workflow it was matched or disputed in, else
    -- the one its kind belongs to (NULL: out of scope)
    SELECT r.*, coalesce(m.workflow, d.workflow, r.default_workflow) AS workflow,
           m.rule, m.confidence, m.side, m.match_id
    FROM (
    -- age runs from the record's own date, or for a procurement chain from its latest event;
    -- the window only over chain records (one NULL-chain partition of millions is serial)
    SELECT *, event_date AS age_date FROM (
    SELECT NULL::VARCHAR AS chain, record_id, source_system, source_ref, entity, currency, amount, event_date,
           correlation_id, 'bank_to_ledger' AS default_workflow FROM recon__bank
    UNION ALL
    SELECT NULL, record_id, source_system, source_ref, entity, currency, amount, event_date,
           correlation_id, CASE WHEN on_bank_gl THEN 'bank_to_ledger'
                WHEN trading_partner IS NOT NULL THEN 'intercompany'
                WHEN account_type = 'D' AND (customer IN (SELECT erp_id FROM counterparty
                                                          WHERE kind = 'customer')
                     OR ref IN (SELECT invoice_ref FROM recon__billing)) THEN 'billing_to_ledger'
                WHEN account_type = 'K' AND po IS NOT NULL THEN 'procure_to_pay'
                -- a line missing its account (a defect) cannot be placed: it is reported where
                -- unexplained ledger lines are looked for, so it reaches the queue at all
                WHEN gl_account IS NULL OR account_type IS NULL THEN 'bank_to_ledger' END
    FROM recon__erp
    UNION ALL
    SELECT NULL, record_id, source_system, source_ref, entity, currency, amount, event_date,
           correlation_id, 'billing_to_ledger' FROM recon__billing)
    UNION ALL
    SELECT *, max(event_date) OVER (PARTITION BY chain) AS age_date FROM (
    SELECT po AS chain, record_id, source_system, source_ref, entity, currency, amount, event_date,
           correlation_id, 'procure_to_pay' AS default_workflow FROM recon__po_all WHERE latest
    UNION ALL
    SELECT r.po, r.record_id, r.source_system, r.source_ref, p.entity, p.currency, NULL, r.event_date,
           r.correlation_id, 'procure_to_pay'
    FROM recon__receipt r LEFT JOIN (SELECT po, any_value(entity) AS entity,
                                            any_value(currency) AS currency
                                     FROM recon__po_all WHERE latest GROUP BY po) p ON p.po = r.po
    UNION ALL
    SELECT s.po, s.record_id, s.source_system, s.source_ref, coalesce(s.vendor_entity, p.entity),
           s.currency, s.amount, s.event_date, s.correlation_id, 'procure_to_pay'
    FROM recon__sinv s LEFT JOIN (SELECT po, any_value(entity) AS entity FROM recon__po_all
                                  WHERE latest GROUP BY po) p ON p.po = s.po)) r
    LEFT JOIN recon__m m ON m.record_id = r.record_id
    LEFT JOIN (SELECT record_id, any_value(workflow) AS workflow FROM recon__d
               GROUP BY record_id) d ON d.record_id = r.record_id"""

SCOPE = """
    CREATE OR REPLACE TEMP VIEW recon__scope AS
    SELECT * FROM recon__records WHERE workflow IS NOT NULL"""

GROUPS = """
    CREATE OR REPLACE TEMP VIEW recon__groups AS
    SELECT match_id, record_id, workflow, rule, confidence, side, source_system,
           source_ref, currency, amount, event_date
    FROM recon__records WHERE match_id IS NOT NULL"""

EXCEPTIONS = """
    CREATE OR REPLACE TEMP TABLE recon__exc_now AS
    SELECT 'x_' || left(md5(s.workflow || '|' || s.source_system || '|' || s.source_ref), 16)
               AS exception_id,
           s.workflow,
           CASE WHEN df.record_id IS NOT NULL THEN 'source_system_defect'
                WHEN du.record_id IS NOT NULL THEN 'duplicate_submission'
                WHEN d.record_id IS NOT NULL THEN d.cause
                WHEN date_diff('day', s.age_date, CAST($as_of AS DATE))
                     <= coalesce(w.days, 0) THEN 'timing_difference'
                ELSE 'missing_counterpart' END AS cause,
           CASE WHEN df.record_id IS NULL AND du.record_id IS NULL THEN d.sub_cause END AS sub_cause,
           s.entity, s.source_system, s.source_ref, s.record_id,
           coalesce(CASE WHEN df.record_id IS NULL THEN d.other END, du.original_id) AS other_id,
           s.currency, s.amount,
           CASE WHEN df.record_id IS NULL AND du.record_id IS NULL THEN d.difference END AS difference,
           s.event_date, s.correlation_id,
           coalesce(df.detail, CASE WHEN du.record_id IS NOT NULL
                                    THEN 'same reference, amount and date as another record' END,
                    d.detail) AS detail,
           a.candidates
    FROM recon__scope s
    LEFT JOIN (SELECT record_id, string_agg(DISTINCT detail, '; ' ORDER BY detail) AS detail
               FROM recon__defect GROUP BY record_id) df USING (record_id)
    LEFT JOIN recon__duplicate du USING (record_id)
    LEFT JOIN (SELECT record_id, arg_min(cause, precedence) AS cause,
                      arg_min(sub_cause, precedence) AS sub_cause,
                      arg_min(other, precedence) AS other, arg_min(difference, precedence) AS difference,
                      arg_min(cause || CASE WHEN sub_cause IS NULL THEN '' ELSE ' (' || sub_cause || ')'
                                       END, precedence) AS detail
               FROM (SELECT *, (list_position($causes, cause), other) AS precedence FROM recon__d)
               GROUP BY record_id) d USING (record_id)
    LEFT JOIN recon__ambiguous a USING (record_id)
    LEFT JOIN recon__windows w ON w.workflow = s.workflow
    WHERE s.match_id IS NULL"""


def result_steps() -> list[Step]:
    return [Step("records", RECORDS), Step("scope", SCOPE),
            Step("groups", GROUPS), Step("exceptions", EXCEPTIONS)]


def rule_tables() -> list[Step]:
    """Empty outputs every rule appends to."""
    return [
        # a group is its match_id (see steps.match_id), written by the rule that made it
        Step("members", """CREATE OR REPLACE TEMP TABLE recon__m (workflow VARCHAR, rule VARCHAR,
             confidence DOUBLE, record_id VARCHAR, side VARCHAR, match_id VARCHAR)"""),
        Step("disputes", """CREATE OR REPLACE TEMP TABLE recon__d (workflow VARCHAR, cause VARCHAR,
             sub_cause VARCHAR, record_id VARCHAR, other VARCHAR, difference DECIMAL(18,4))"""),
        Step("ambiguous", """CREATE OR REPLACE TEMP TABLE recon__ambiguous (record_id VARCHAR,
             candidates VARCHAR[])"""),
    ]
