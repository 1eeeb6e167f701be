"""Records set aside before any rule runs: source-system defects and duplicate submissions.

A record failing a critical check must never reach a match group (SPEC §2 step 3); the extra
copy of a duplicate must not steal the original's counterpart.
"""

from __future__ import annotations

from jobs.matching.steps import Step


def defect_steps() -> list[Step]:
    """Critical checks on each input; the validation layer adds its own failures to recon__defect."""
    return [
        Step("defects", """
            CREATE OR REPLACE TEMP TABLE recon__defect AS
            SELECT record_id, 'erp' AS source_system, 'amount is missing or unreadable' AS detail
              FROM recon__erp WHERE amount IS NULL
            UNION ALL
            SELECT record_id, 'erp', 'currency ' || coalesce(currency, '(empty)') || ' is not ISO 4217'
              FROM recon__erp WHERE currency IS NULL OR currency NOT IN (SELECT code FROM recon__iso)
            UNION ALL
            SELECT record_id, 'erp', 'posting date ' || coalesce(CAST(event_date AS VARCHAR), '(empty)')
                   || ' is impossible'
              FROM recon__erp WHERE event_date IS NULL OR event_date < DATE '1990-01-01'
                                 OR event_date > CAST($as_of AS DATE) + INTERVAL 366 DAY
            UNION ALL
            -- documents summed once over all their lines, then their lines that matching
            -- reads (a window over every line cost 4x)
            SELECT e.record_id, 'erp', 'journal document does not balance: lines sum to '
                   || CAST(d.doc_sum AS VARCHAR)
              FROM recon__erp e
              JOIN recon__unbalanced d
                ON d.entity IS NOT DISTINCT FROM e.entity
               AND d.fiscal_year IS NOT DISTINCT FROM e.fiscal_year
               AND d.document_number IS NOT DISTINCT FROM e.document_number
            UNION ALL
            SELECT record_id, 'bank', 'currency ' || coalesce(currency, '(empty)') || ' is not ISO 4217'
              FROM recon__bank WHERE currency IS NULL OR currency NOT IN (SELECT code FROM recon__iso)
            UNION ALL
            SELECT record_id, 'billing', 'currency ' || coalesce(currency, '(empty)') || ' is not ISO 4217'
              FROM recon__billing WHERE currency IS NULL OR currency NOT IN (SELECT code FROM recon__iso)
            UNION ALL
            SELECT record_id, 'procurement', 'currency ' || coalesce(currency, '(empty)')
                   || ' is not ISO 4217'
              FROM recon__sinv WHERE currency IS NULL OR currency NOT IN (SELECT code FROM recon__iso)
            UNION ALL
            SELECT record_id, source_system, detail FROM recon__validation_failure
            """),
        Step("duplicates", """
            CREATE OR REPLACE TEMP TABLE recon__duplicate AS
            -- the reference, else the assignment (ZUONR) where the export keeps it
            WITH k AS (SELECT record_id, entity, gl_account, account_type, document_number,
                              coalesce(ref, ref2) AS key, amount, event_date
                       FROM recon__erp
                       WHERE coalesce(ref, ref2) IS NOT NULL AND amount IS NOT NULL
                         AND record_id NOT IN (SELECT record_id FROM recon__defect)),
                 -- the few keys seen twice, found by hashing: ordering every line's partition
                 -- to number its copies cost 1.6x as much
                 twice AS (SELECT entity, gl_account, account_type, key, amount, event_date
                           FROM k
                           GROUP BY entity, gl_account, account_type, key, amount, event_date
                           HAVING count(*) > 1)
            SELECT record_id, original_id FROM (
                SELECT k.record_id, first_value(k.record_id) OVER w AS original_id,
                       row_number() OVER w AS copy
                FROM k JOIN twice t
                  ON t.entity IS NOT DISTINCT FROM k.entity
                 AND t.gl_account IS NOT DISTINCT FROM k.gl_account
                 AND t.account_type IS NOT DISTINCT FROM k.account_type
                 AND t.key = k.key AND t.amount = k.amount
                 AND t.event_date IS NOT DISTINCT FROM k.event_date
                WINDOW w AS (PARTITION BY k.entity, k.gl_account, k.account_type, k.key,
                                          k.amount, k.event_date
                             ORDER BY k.document_number, k.record_id))
            WHERE copy > 1
            UNION ALL
            SELECT record_id, original_id FROM (
                SELECT record_id, first_value(record_id) OVER w AS original_id,
                       row_number() OVER w AS copy
                FROM recon__sinv WHERE ref IS NOT NULL
                WINDOW w AS (PARTITION BY supplier_id, ref ORDER BY created_at, source_ref))
            WHERE copy > 1"""),
        Step("set aside", """
            INSERT INTO recon__claimed
            SELECT record_id FROM recon__defect UNION SELECT record_id FROM recon__duplicate"""),
    ]
