"""billing_to_ledger, procure_to_pay and intercompany rules (bank_to_ledger is in rules_bank)."""

from __future__ import annotations

from jobs.matching.outcome import pair_outcome, tolerance
from jobs.matching.steps import (
    EACH_OTHER,
    LEFT_RIGHT,
    Step,
    claim,
    match_id,
    norm,
    open_rows,
    pair_match_id,
    per_side,
    unclaimed,
)

_CHARGE_PAIR = """c.record_id AS l_id, e.record_id AS r_id, c.amount AS l_amt,
                  -e.amount AS r_cmp, c.currency, NULL::DECIMAL(18,4) AS l_charges,
                  FALSE AS l_foreign, c.erp_customer, e.customer"""
# an ERP customer line on the other side of a charge or refund: opposite signs (a filter, not a
# join key), the same currency
_CUSTOMER_LINE = """e.account_type = 'D' AND e.currency = c.currency AND e.amount IS NOT NULL
                    AND (e.amount < 0) <> (c.amount < 0)"""
# the ERP books a refund once it is paid out, never before (a day's slack for a UTC timestamp
# against a local posting date): an older customer debit of its amount is the invoice it refunds
_NOT_BEFORE_REFUND = ("(c.kind <> 'refund' "
                      "OR date_diff('day', e.event_date, c.event_date) <= 1)")

# the first payment (a customer credit) of each refunded invoice number, per ERP customer:
# its posting date, and its entry time where the ERP records one (two bookings of one day)
_FIRST_PAID = """SELECT k.key, e.customer, min(e.event_date) AS paid_on, min(e.entered_at) AS paid_at
                 FROM recon__erp_key k JOIN recon__erp e ON e.record_id = k.record_id
                 WHERE e.account_type = 'D' AND e.amount < 0
                   AND k.key IN (SELECT invoice_ref FROM recon__billing WHERE kind = 'refund')
                 GROUP BY k.key, e.customer"""


def charge_invoice_steps(conf: float) -> list[Step]:
    """Stripe charge or refund ↔ the ERP customer line carrying its own id (a cash application
    that names the charge), else its invoice number. The customer must agree with master data
    (customers.csv), else both sides are a mapping error.

    An invoice number names every line of the invoice's life: the invoice itself, its payment,
    a refund. Among those the charge or refund takes the line with its exact amount, then the
    one closest in date (a refund: on or after it, then one booked after the invoice was paid),
    and only when that best candidate is unique. A refund takes no line dated before it (but
    for a day's slack): an invoice refunded in full has the refund's amount. Refunded the day
    it was raised, the invoice line is the one no payment of the invoice precedes (a refund
    gives back what was paid), by entry time where the ERP records it, else by date; paid the
    day it was raised and without entry times, it stays a tie, an exception, not a guess."""
    by_id = f"""SELECT DISTINCT {_CHARGE_PAIR}
                FROM recon__billing c JOIN recon__erp_key k ON k.key = c.ref
                JOIN recon__erp e ON e.record_id = k.record_id AND {_CUSTOMER_LINE}
                WHERE c.kind IN ('charge', 'refund') AND c.ref IS NOT NULL
                  AND {unclaimed('c')} AND {unclaimed('e')}"""
    by_invoice = f"""SELECT DISTINCT {_CHARGE_PAIR},
                            CASE WHEN c.kind = 'charge'
                                 THEN abs(date_diff('day', c.event_date, e.event_date))
                                 -- a refund: a line on or after it before one the day before
                                 WHEN e.event_date >= c.event_date THEN 0 ELSE 1 END AS days,
                            coalesce(c.kind = 'refund'
                                     AND coalesce(p.paid_at < e.entered_at,
                                                  p.paid_on <= e.event_date), FALSE)
                                AS after_paid
                     FROM recon__billing c JOIN recon__erp_key k ON k.key = c.invoice_ref
                     JOIN recon__erp e ON e.record_id = k.record_id AND {_CUSTOMER_LINE}
                     LEFT JOIN ({_FIRST_PAID}) p ON p.key = c.invoice_ref
                                                AND p.customer = e.customer
                     WHERE c.kind IN ('charge', 'refund') AND c.invoice_ref IS NOT NULL
                       AND {_NOT_BEFORE_REFUND}
                       AND {unclaimed('c')} AND {unclaimed('e')}"""
    best = f"""SELECT * FROM (
                   SELECT *, rank() OVER (PARTITION BY l_id
                                          ORDER BY l_amt = r_cmp DESC, days, after_paid DESC)
                                 AS place,
                          count(*) OVER (PARTITION BY l_id, l_amt = r_cmp, days, after_paid)
                              AS alike
                   FROM ({by_invoice}))
               WHERE place = 1 AND alike = 1"""
    agree = "erp_customer IS NOT NULL AND erp_customer = customer"
    # the ERP line is the cash application of this very charge or refund: an amount that
    # differs is a booking slip, neither a fee (Stripe's are apart), FX nor a part payment
    slip = "'other'"
    return [
        Step("recon__p_charge_id", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_charge_id AS SELECT * FROM ({by_id})
            QUALIFY count(*) OVER (PARTITION BY l_id) = 1 AND count(*) OVER (PARTITION BY r_id) = 1"""),
        *pair_outcome("recon__p_charge_id", "billing_to_ledger", "exact_reference", conf,
                      agree=agree, mismatch_sub=slip),
        claim("recon__p_charge_id", "unnest([l_id, r_id])"),
        Step("recon__p_charge", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_charge AS SELECT * FROM ({best})
            QUALIFY count(*) OVER (PARTITION BY r_id) = 1"""),
        *pair_outcome("recon__p_charge", "billing_to_ledger", "exact_reference", conf,
                      agree=agree, mismatch_sub=slip),
        claim("recon__p_charge", "unnest([l_id, r_id])"),
    ]


def customer_amount_steps(conf: float) -> list[Step]:
    """A charge or refund that names nothing the ERP holds ↔ the line of its mapped ERP customer
    with the same amount within the date window: identified by master data instead of a name,
    and only when each side has exactly one such candidate."""
    return [
        Step("recon__p_customer", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_customer AS
            SELECT {_CHARGE_PAIR}
            FROM {open_rows('recon__billing', 'c')}
            JOIN {open_rows("(SELECT * FROM recon__erp WHERE account_type = 'D')", 'e')}
                 ON e.customer = c.erp_customer AND e.amount = -c.amount AND {_CUSTOMER_LINE}
                 AND abs(date_diff('day', c.event_date, e.event_date)) <= $window
                 AND {_NOT_BEFORE_REFUND}
            WHERE c.kind IN ('charge', 'refund')
            QUALIFY count(*) OVER (PARTITION BY l_id) = 1 AND count(*) OVER (PARTITION BY r_id) = 1"""),
        Step("customer_amount: matches", "INSERT INTO recon__m " + per_side(
            f"'billing_to_ledger', 'customer_amount', {conf}, {{id}}, {{side}}, "
            + pair_match_id("l_id", "r_id"), "recon__p_customer", LEFT_RIGHT)),
        claim("recon__p_customer", "unnest([l_id, r_id])"),
    ]


_IC_LINES = "(SELECT * FROM recon__erp WHERE trading_partner IS NOT NULL)"
# receivable a's amount in payable b's currency, at a's posting date
_IC_FX = """ASOF LEFT JOIN recon__fx f ON f.from_currency = a.currency
                 AND f.to_currency = b.currency AND a.event_date >= f.date"""
_A_IN_B = "CASE WHEN a.currency = b.currency THEN a.amount ELSE round(a.amount * f.rate, 4) END"


def _within_after_fx(diff: str, amount: str, same_currency: str, in_one: str) -> str:
    """SQL: ``diff`` is within ``in_one`` when both sides are in one currency, and within the
    rate band of ``amount`` when one was converted (nothing converted, no rate band: two CHF
    lines 50.00 apart on 6,807.15 disagree)."""
    return (f"abs({diff}) <= CASE WHEN {same_currency} THEN {in_one} "
            f"ELSE greatest($tol_abs, $fx_band * abs({amount})) END")


def _ic_outcome(table: str, conf: float) -> list[Step]:
    """In one currency within the amount tolerance a match, across two within the rate band
    after FX; beyond it (or without a rate) an imbalance."""
    agrees = ("a_conv IS NOT NULL AND "
              + _within_after_fx("a_conv + b_amt", "b_amt", "same_currency", tolerance("b_amt")))
    return [
        Step(f"{table}: matches", "INSERT INTO recon__m " + per_side(
            f"'intercompany', 'intercompany_pair', {conf}, {{id}}, {{side}}, "
            + pair_match_id("l_id", "r_id"), table, LEFT_RIGHT, agrees)),
        Step(f"{table}: disputes", "INSERT INTO recon__d " + per_side(
            "'intercompany', 'intercompany_imbalance', NULL, {id}, {other}, a_conv + b_amt",
            table, EACH_OTHER, f"NOT ({agrees})")),
        claim(table, "unnest([l_id, r_id])"),
    ]


_IC_PAIR = f"""a.record_id AS l_id, b.record_id AS r_id, a.amount AS a_amt, b.amount AS b_amt,
               {_A_IN_B} AS a_conv, a.currency = b.currency AS same_currency"""


def _unreferenced_pairs(table: str, select: str, within: str) -> Step:
    """An entity pair's open lines, one side without a reference, in the intercompany window,
    whose amounts after FX are ``within`` apart; each the other's only candidate."""
    return Step(table, f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT {select}
        FROM {open_rows(_IC_LINES, 'a')}
        JOIN {open_rows(_IC_LINES, 'b')} ON b.entity = a.trading_partner
             AND a.entity = b.trading_partner AND b.amount < 0
             AND abs(date_diff('day', a.event_date, b.event_date)) <= $ic_window
        {_IC_FX}
        WHERE a.amount > 0 AND (a.ref IS NULL OR b.ref IS NULL)
          AND abs({_A_IN_B} + b.amount) <= {within}
        QUALIFY count(*) OVER (PARTITION BY a.record_id) = 1
            AND count(*) OVER (PARTITION BY b.record_id) = 1""")


def intercompany_steps(conf: float) -> list[Step]:
    """Receivable of entity A ↔ payable of entity B with the same reference, after FX at A's
    posting date (fx_rates, either direction); beyond the rate band it is an imbalance."""
    return [
        Step("recon__p_ic", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_ic AS
            SELECT {_IC_PAIR}
            FROM recon__erp a
            JOIN recon__erp b ON b.entity = a.trading_partner AND a.entity = b.trading_partner
                 AND b.ref = a.ref AND b.amount < 0 AND {unclaimed('b')}
            {_IC_FX}
            WHERE a.trading_partner IS NOT NULL AND a.amount > 0 AND a.ref IS NOT NULL
              AND {unclaimed('a')}
            QUALIFY count(*) OVER (PARTITION BY a.record_id) = 1
                AND count(*) OVER (PARTITION BY b.record_id) = 1"""),
        *_ic_outcome("recon__p_ic", conf),
        # One side's reference written only in the other's line text ('IC invoice IC25-0113'):
        # the words of the text that hold a digit, normalised as references are.
        Step("recon__p_ic_text", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_ic_text AS
            WITH lines AS (SELECT * FROM {open_rows(_IC_LINES, 'x')}),
                 words AS (SELECT record_id, {norm('w')} AS key
                           FROM (SELECT record_id, unnest(string_split(name, ' ')) AS w
                                 FROM lines WHERE name IS NOT NULL)
                           WHERE regexp_matches(w, '[0-9]')),
                 named AS (SELECT x.record_id AS p, w.record_id AS q
                           FROM lines x JOIN words w ON w.key = x.ref
                           WHERE x.ref IS NOT NULL AND length(x.ref) >= 5),
                 pairs AS (SELECT p, q FROM named UNION SELECT q, p FROM named)
            SELECT {_IC_PAIR}
            FROM pairs JOIN lines a ON a.record_id = pairs.p
            JOIN lines b ON b.record_id = pairs.q AND b.entity = a.trading_partner
                 AND a.entity = b.trading_partner AND b.amount < 0
            {_IC_FX}
            WHERE a.amount > 0
            QUALIFY count(*) OVER (PARTITION BY a.record_id) = 1
                AND count(*) OVER (PARTITION BY b.record_id) = 1"""),
        *_ic_outcome("recon__p_ic_text", conf),
        # One side booked without the reference: the entity pair, the amount after FX (within
        # the absolute tolerance only) and the date window (the intercompany settlement window
        # when longer: the partner books a week or two later), when each has one candidate.
        _unreferenced_pairs("recon__p_ic_amount", "a.record_id AS l_id, b.record_id AS r_id",
                            "$tol_abs"),
        Step("intercompany by amount: matches", "INSERT INTO recon__m " + per_side(
            f"'intercompany', 'intercompany_pair', {conf - 0.1}, {{id}}, {{side}}, "
            + pair_match_id("l_id", "r_id"), "recon__p_ic_amount", LEFT_RIGHT)),
        claim("recon__p_ic_amount", "unnest([l_id, r_id])"),
        # A trading partner that is no entity of the group (a mistyped VBUND: 'GB2') is a
        # mapping error, with the line of another entity naming this one's entity for the
        # opposite amount (after FX, within the band) within the window, when unique both ways.
        Step("recon__ic_unknown", f"""
            CREATE OR REPLACE TEMP TABLE recon__ic_unknown AS
            WITH lines AS (SELECT * FROM {open_rows(_IC_LINES, 'x')}),
                 unknown AS (SELECT * FROM lines
                             WHERE trading_partner NOT IN (SELECT company_code FROM entity)
                               AND EXISTS (SELECT 1 FROM entity)),
                 -- the opposite amount, after FX at the unknown side's date within the band
                 -- (a: the unknown side, b: the other, as _IC_FX and _A_IN_B name them)
                 near AS (SELECT a.record_id AS l_id, b.record_id AS r_id, b.amount AS o_amt,
                                 a.currency = b.currency AS same, {_A_IN_B} + b.amount AS diff
                          FROM unknown a JOIN lines b ON b.trading_partner = a.entity
                               AND b.entity <> a.entity AND sign(b.amount) = -sign(a.amount)
                               AND abs(date_diff('day', a.event_date, b.event_date)) <= $window
                          {_IC_FX}),
                 pairs AS (SELECT l_id, r_id, diff FROM near
                           WHERE {_within_after_fx("diff", "o_amt", "same", "$tol_abs")}
                           QUALIFY count(*) OVER (PARTITION BY l_id) = 1
                               AND count(*) OVER (PARTITION BY r_id) = 1)
            SELECT u.record_id AS l_id, p.r_id, p.diff
            FROM unknown u LEFT JOIN pairs p ON p.l_id = u.record_id"""),
        Step("unknown trading partner: disputes", """
            INSERT INTO recon__d
            SELECT 'intercompany', 'mapping_error', NULL, l_id, r_id, diff FROM recon__ic_unknown
            UNION ALL
            SELECT 'intercompany', 'mapping_error', NULL, r_id, l_id, -diff FROM recon__ic_unknown
            WHERE r_id IS NOT NULL"""),
        claim("recon__ic_unknown", "unnest(list_filter([l_id, r_id], x -> x IS NOT NULL))"),
        # One side booked without the reference and for another amount (the partner worked
        # out the interest itself): the entity pair's two open lines in that window, each
        # the other's only one within the pair band after FX. Within the rate band a match,
        # beyond it the imbalance of that pair (SPEC §5.3), not two missing counterparts.
        _unreferenced_pairs("recon__p_ic_near", _IC_PAIR, "$ic_band * abs(b.amount)"),
        *_ic_outcome("recon__p_ic_near", conf - 0.1),
    ]


def three_way_steps(conf: float) -> list[Step]:
    """Latest PO version + receipts + supplier invoice ↔ the ERP vendor line for that PO. The
    invoice agrees with the PO's total, or with what was received at the PO's prices (a partial
    delivery), within the price tolerance.

    Precedence of disagreements (SPEC §5.3): vendor not mapped → mapping_error; the ERP amount
    equals an older PO version while the invoice agrees with the latest → po_change_not_synced;
    otherwise → amount_variance.
    """
    return [
        # what the receipts are worth at the latest PO version's prices, line by line: a
        # partial delivery is invoiced for what arrived, not for the whole order
        # (at every version's prices: an ERP invoice booked on an older version's prices for
        # a partial delivery is that version's received value, not its total)
        Step("received value", """
            CREATE OR REPLACE TEMP TABLE recon__received AS
            SELECT r.po, p.version, any_value(p.latest) AS latest,
                   sum(r.quantity * l.price) AS received_value
            FROM recon__receipt r
            JOIN recon__po_all p ON p.po = r.po
            JOIN purchase_order_line l ON l.po_number = p.po_number AND l.version = p.version
                 AND l.line_num = r.line_num
            GROUP BY r.po, p.version"""),
        Step("recon__chain", f"""
            CREATE OR REPLACE TEMP TABLE recon__chain AS
            WITH inv AS (SELECT * FROM recon__sinv s WHERE s.po IS NOT NULL AND {unclaimed('s')}
                         QUALIFY count(*) OVER (PARTITION BY s.po) = 1),
                 erp AS (SELECT * FROM recon__erp e WHERE e.account_type = 'K' AND e.po IS NOT NULL
                           AND e.amount IS NOT NULL AND {unclaimed('e')}
                         QUALIFY count(*) OVER (PARTITION BY e.po) = 1),
                 lpo AS (SELECT * FROM recon__po_all WHERE latest)
            SELECT inv.po, lpo.record_id AS po_id, inv.record_id AS inv_id, erp.record_id AS erp_id,
                   lpo.amount AS po_total, inv.amount AS inv_total, -erp.amount AS erp_total,
                   inv.erp_vendor IS NOT NULL AND inv.erp_vendor = erp.vendor AS vendor_ok,
                   -- an older version's figure the latest one does not share
                   EXISTS (SELECT 1 FROM recon__po_all o WHERE o.po = inv.po AND NOT o.latest
                           AND abs(o.amount + erp.amount) <= $tol_abs
                           AND abs(o.amount - coalesce(lpo.amount, 0)) > $tol_abs)
                   OR EXISTS (SELECT 1 FROM recon__received o WHERE o.po = inv.po
                              AND NOT o.latest AND abs(o.received_value + erp.amount) <= $tol_abs
                              AND abs(o.received_value - coalesce(rv.received_value, 0))
                                  > $tol_abs)
                       AS erp_has_old_version,
                   (SELECT list(r.record_id) FROM recon__receipt r WHERE r.po = inv.po) AS receipts,
                   rv.received_value
            FROM inv JOIN erp ON erp.po = inv.po AND erp.currency = inv.currency
            LEFT JOIN lpo ON lpo.po = inv.po
            LEFT JOIN recon__received rv ON rv.po = inv.po AND rv.latest"""),
        Step("recon__chain_outcome", """
            CREATE OR REPLACE TEMP TABLE recon__chain_outcome AS
            SELECT *, CASE
                WHEN NOT vendor_ok THEN 'mapping_error'
                WHEN abs(inv_total - erp_total) <= $tol_abs AND po_id IS NOT NULL
                     AND array_length(coalesce(receipts, [])) > 0
                     AND (abs(inv_total - po_total) <= $tol_abs + $price_tol * abs(po_total)
                          OR abs(inv_total - received_value)
                             <= $tol_abs + $price_tol * abs(received_value)) THEN 'match'
                WHEN erp_has_old_version AND po_id IS NOT NULL
                     AND (abs(inv_total - po_total) <= $tol_abs + $price_tol * abs(po_total)
                          OR abs(inv_total - received_value)
                             <= $tol_abs + $price_tol * abs(received_value))
                     THEN 'po_change_not_synced'
                WHEN abs(inv_total - erp_total) > $tol_abs THEN 'amount_variance'
                ELSE 'wait' END AS outcome,
                list_filter([po_id, inv_id, erp_id] || coalesce(receipts, []), x -> x IS NOT NULL)
                  AS members
            FROM recon__chain"""),
        Step("three-way: matches", f"""
            INSERT INTO recon__m
            SELECT 'procure_to_pay', 'three_way_po', {conf}, m,
                   CASE WHEN m = erp_id THEN 'right' ELSE 'left' END, match_id
            FROM (SELECT *, unnest(members) AS m
                  FROM (SELECT *, {match_id('members')} AS match_id FROM recon__chain_outcome
                        WHERE outcome = 'match'))"""),
        Step("three-way: disputes", """
            INSERT INTO recon__d
            SELECT 'procure_to_pay', outcome,
                   CASE WHEN outcome = 'amount_variance' THEN 'other' END, m,
                   CASE WHEN m = erp_id THEN inv_id ELSE erp_id END, inv_total - erp_total
            FROM (SELECT *, unnest(members) AS m FROM recon__chain_outcome
                  WHERE outcome NOT IN ('match', 'wait'))"""),
        Step("claim chains", """
            INSERT INTO recon__claimed
            SELECT unnest(members) FROM recon__chain_outcome WHERE outcome <> 'wait'"""),
        # An ERP vendor line naming a PO procurement does not know (a mistyped EBELN) is a
        # mapping error; with the open supplier invoice of its vendor and amount whose own PO
        # no ERP line names, the invoice's chain is the counterpart that does not map.
        Step("recon__po_unknown", f"""
            CREATE OR REPLACE TEMP TABLE recon__po_unknown AS
            WITH erp AS (SELECT * FROM recon__erp e
                         WHERE e.account_type = 'K' AND e.po IS NOT NULL AND e.amount IS NOT NULL
                           AND e.po NOT IN (SELECT po FROM recon__po_all WHERE po IS NOT NULL)
                           AND e.po NOT IN (SELECT po FROM recon__sinv WHERE po IS NOT NULL)
                           AND {unclaimed('e')}),
                 inv AS (SELECT * FROM recon__sinv s
                         WHERE s.po IS NOT NULL AND {unclaimed('s')}
                           AND s.po NOT IN (SELECT po FROM recon__erp WHERE account_type = 'K'
                                                                      AND po IS NOT NULL)),
                 pairs AS (SELECT erp.record_id AS erp_id, inv.record_id AS inv_id, inv.po,
                                  inv.amount + erp.amount AS diff
                           FROM erp JOIN inv ON inv.erp_vendor = erp.vendor
                                AND inv.currency = erp.currency
                                AND abs(inv.amount + erp.amount) <= $tol_abs
                           QUALIFY count(*) OVER (PARTITION BY erp.record_id) = 1
                               AND count(*) OVER (PARTITION BY inv.record_id) = 1)
            SELECT erp.record_id AS erp_id, p.inv_id, p.diff,
                   CASE WHEN p.inv_id IS NULL THEN [erp.record_id]
                        ELSE list_filter([erp.record_id, p.inv_id, p.po_id]
                                         || coalesce(p.receipts, []), x -> x IS NOT NULL) END
                       AS members
            FROM erp LEFT JOIN (
                SELECT pairs.*, o.record_id AS po_id,
                       (SELECT list(r.record_id) FROM recon__receipt r
                        WHERE r.po = pairs.po) AS receipts
                FROM pairs LEFT JOIN recon__po_all o ON o.po = pairs.po AND o.latest) p
              ON p.erp_id = erp.record_id"""),
        Step("unknown PO: disputes", """
            INSERT INTO recon__d
            SELECT 'procure_to_pay', 'mapping_error', NULL, m,
                   CASE WHEN m = erp_id THEN inv_id ELSE erp_id END, diff
            FROM (SELECT *, unnest(members) AS m FROM recon__po_unknown)"""),
        claim("recon__po_unknown", "unnest(members)"),
    ]
