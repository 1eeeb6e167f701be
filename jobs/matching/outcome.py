"""Turning identified pairs into matches or disputes, the same way for every rule.

A rule yields pairs whose sides it identified (same reference, same PO...). If the amounts agree
within tolerance the pair is a match; otherwise it is a dispute with a cause, and both records
become exceptions that name each other (SPEC §5.3).
"""

from __future__ import annotations

from jobs.matching.steps import (
    EACH_OTHER,
    LEFT_RIGHT,
    Step,
    match_id,
    pair_match_id,
    per_side,
    unclaimed,
)

# Columns every pair table has: l_id, r_id, l_amt, r_cmp (r's amount in l's sign), currency,
# l_charges (bank charges on l, if any), l_foreign (l was instructed in another currency).


def tolerance(amount: str) -> str:
    """SQL for the amount tolerance of a pair compared against ``amount``: absolute plus
    relative (matching.amount_tolerance_abs / _rel)."""
    return f"($tol_abs + $tol_rel * abs({amount}))"


TOLERANCE = tolerance("r_cmp")


def _sorted_chars(expr: str) -> str:
    """SQL: the characters of a text, sorted (equal for two texts with the same characters in
    any order)."""
    return f"list_sort(string_split({expr}, ''))"


def _digits(expr: str) -> str:
    return _sorted_chars(f"regexp_replace(CAST(abs({expr}) AS VARCHAR), '[^0-9]', '', 'g')")


# a pair's amounts are the same digits in another order: a keying slip in the amount
_KEYING_SLIP = f"{_digits('l_amt')} = {_digits('r_cmp')}"

# A keying slip (two digits transposed) is "other": neither a fee, nor FX, nor a part payment.
SUB_CAUSE = f"""CASE
    WHEN l_charges IS NOT NULL AND abs(abs(r_cmp) - abs(l_amt) - abs(l_charges)) <= $tol_abs
         THEN 'bank_fee'
    WHEN l_foreign THEN 'fx_difference'
    WHEN {_KEYING_SLIP} THEN 'other'
    WHEN abs(l_amt) < abs(r_cmp) AND abs(r_cmp) - abs(l_amt) <= 50
         AND (abs(l_amt) >= 0.97 * abs(r_cmp)
              -- a flat charge (15.00, 25.00, 35.00) whatever the invoice's size
              OR abs(r_cmp) - abs(l_amt) = floor(abs(r_cmp) - abs(l_amt))) THEN 'bank_fee'
    WHEN sign(l_amt) = sign(r_cmp) AND abs(l_amt) < abs(r_cmp) THEN 'partial_payment'
    WHEN sign(l_amt) = sign(r_cmp) AND abs(l_amt) > abs(r_cmp) THEN 'overpayment'
    ELSE 'other' END"""


def pair_outcome(pairs: str, workflow: str, rule: str, confidence: float,
                 mismatch_cause: str = "amount_variance", mismatch_sub: str | None = SUB_CAUSE,
                 agree: str | None = None, agree_cause: str = "mapping_error",
                 tolerance: str = TOLERANCE, tol_rule: str | None = None,
                 bank_pairs: bool = False) -> list[Step]:
    """Matches and disputes from a pair table; ``agree`` is an extra SQL condition to match.
    A pair within ``tolerance`` but not equal is recorded as ``tol_rule``. With ``bank_pairs``
    (bank line ↔ ledger line by reference), see ``fee_groups`` and ``swapped_pairs``."""
    within = f"abs(l_amt - r_cmp) <= {tolerance}"
    ok = f"({within}) AND ({agree or 'TRUE'})"
    sub = mismatch_sub or "NULL"
    if tol_rule is None:
        tol_rule = "amount_tolerance" if rule in {"exact_reference", "reference_in_text"} else rule
    regrouped = []
    grouped = ""
    if bank_pairs:
        regrouped = (fee_groups(pairs, workflow, confidence, ok)
                     + swapped_pairs(pairs, workflow, confidence, ok))
        grouped = (f" AND l_id NOT IN (SELECT l_id FROM {pairs}_fee)"
                   f" AND l_id NOT IN (SELECT l_id FROM {pairs}_swap)")
    return [
        *regrouped,
        Step(f"{rule}: matches", "INSERT INTO recon__m " + per_side(f"""
            '{workflow}',
            CASE WHEN l_amt = r_cmp THEN '{rule}' ELSE '{tol_rule}' END,
            CASE WHEN l_amt = r_cmp THEN {confidence} ELSE {confidence} - 0.05 END,
            {{id}}, {{side}}, {pair_match_id('l_id', 'r_id')}""", pairs, LEFT_RIGHT, ok)),
        Step(f"{rule}: disputes", "INSERT INTO recon__d " + per_side(f"""
            '{workflow}',
            CASE WHEN NOT ({agree or 'TRUE'}) THEN '{agree_cause}' ELSE '{mismatch_cause}' END,
            CASE WHEN ({agree or 'TRUE'}) AND '{mismatch_cause}' = 'amount_variance'
                 THEN {sub} END,
            {{id}}, {{other}}, l_amt - r_cmp""", pairs, EACH_OTHER, f"NOT ({ok}){grouped}")),
    ]


def fee_groups(pairs: str, workflow: str, confidence: float, ok: str) -> list[Step]:
    """A bank line short of its ERP line by a bank fee (the sub-cause would be bank_fee) whose
    fee the ERP booked apart on the bank account after it (a line with no customer or vendor,
    of exactly the difference; within the date window, or within a month when it cites the
    bank line's reference): the three are one match, not a variance plus a missing fee.
    Unique both ways, a citing fee line first; the fee line is claimed with the pair."""
    fee = f"{pairs}_fee"
    # a fee line that cites the bank line's reference ('Fremdspesen Ausl.-Zahlung 00000735' for
    # the bank's 20251229A100000735) is preferred to other fee lines of the same amount
    last = "regexp_extract(coalesce(f.name, ''), '([0-9]{3,})[^0-9]*$', 1)"
    cites = f"({last} <> '' AND right(b.source_ref, length({last})) = {last})"
    return [
        Step(f"{fee}", f"""
            CREATE OR REPLACE TEMP TABLE {fee} AS
            SELECT l_id, r_id, f_id FROM (
            SELECT p.l_id, p.r_id, f.record_id AS f_id, {cites} AS cited
            FROM (SELECT * FROM {pairs} WHERE NOT ({ok}) AND NOT l_foreign
                    AND l_amt - r_cmp < 0 AND {SUB_CAUSE} = 'bank_fee') p
            JOIN recon__bank b ON b.record_id = p.l_id
            JOIN recon__erp f ON f.on_bank_gl AND f.entity = b.entity
                 AND f.gl_account = b.gl_account AND f.currency = b.currency
                 AND f.amount = p.l_amt - p.r_cmp AND f.account_type = 'S'
                 AND f.customer IS NULL AND f.vendor IS NULL
                 AND date_diff('day', b.event_date, f.event_date) BETWEEN 0 AND 31
            -- within the window, or within a month for a fee line that cites the bank line
            WHERE (date_diff('day', b.event_date, f.event_date) <= $window OR {cites})
              AND {unclaimed('f')}
              AND f.record_id NOT IN (SELECT r_id FROM {pairs})
            QUALIFY count(*) OVER (PARTITION BY p.l_id) = 1
                 OR (cited AND sum(CASE WHEN cited THEN 1 ELSE 0 END) OVER (PARTITION BY p.l_id) = 1))
            QUALIFY count(*) OVER (PARTITION BY f_id) = 1
                 OR (cited AND sum(CASE WHEN cited THEN 1 ELSE 0 END) OVER (PARTITION BY f_id) = 1)"""),
        Step(f"{fee}: matches", f"""
            INSERT INTO recon__m
            SELECT '{workflow}', 'fee_booked_apart', {confidence} - 0.05, m,
                   CASE WHEN m = l_id THEN 'left' ELSE 'right' END,
                   {match_id('[l_id, r_id, f_id]')}
            FROM (SELECT *, unnest([l_id, r_id, f_id]) AS m FROM {fee})"""),
        Step(f"claim {fee}", f"INSERT INTO recon__claimed SELECT f_id FROM {fee}"),
    ]


def swapped_pairs(pairs: str, workflow: str, confidence: float, ok: str) -> list[Step]:
    """Two bank lines on one account whose references were swapped: each disagrees with the
    ledger line it names and pays exactly the amount of the line the other names, and the two
    lines' references are the same characters in another order (a transposed digit turning
    one invoice's number into another's). Each line then pairs with the line of its own
    amount (``reference_swapped``), not two variances, but only when both lines have exactly
    that one partner, and never when the amounts are the same digits in another order: then
    each payment may as well have named its own invoice with a keying slip in the amount."""
    swap = f"{pairs}_swap"
    return [
        Step(swap, f"""
            CREATE OR REPLACE TEMP TABLE {swap} AS
            WITH open AS (SELECT p.*, b.entity, b.gl_account, e.ref AS r_ref FROM {pairs} p
                          JOIN recon__bank b ON b.record_id = p.l_id
                          JOIN recon__erp e ON e.record_id = p.r_id
                          WHERE NOT ({ok}) AND p.l_id NOT IN (SELECT l_id FROM {pairs}_fee)
                            AND NOT ({_KEYING_SLIP}))
            -- each swap twice, once from either line: x takes y's ledger line
            SELECT x.l_id, y.r_id, x.l_amt, y.r_cmp
            FROM open x JOIN open y ON y.l_id <> x.l_id AND y.r_cmp = x.l_amt
                 AND x.r_cmp = y.l_amt AND y.currency = x.currency
                 AND y.entity = x.entity AND y.gl_account = x.gl_account
                 AND y.r_ref <> x.r_ref AND {_sorted_chars('y.r_ref')} = {_sorted_chars('x.r_ref')}
            QUALIFY count(*) OVER (PARTITION BY x.l_id) = 1
                AND count(*) OVER (PARTITION BY y.l_id) = 1"""),
        Step(f"{swap}: matches", "INSERT INTO recon__m " + per_side(f"""
            '{workflow}', 'reference_swapped', {confidence} - 0.1, {{id}}, {{side}},
            {pair_match_id('l_id', 'r_id')}""", swap, LEFT_RIGHT)),
    ]
