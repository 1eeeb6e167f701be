"""Turning identified pairs into matches or disputes, the same way for every rule.

A rule yields pairs whose sides it identified (same reference, same PO...). If the amounts agree
within tolerance the pair is a match; otherwise it is a dispute with a cause, and both records
become exceptions that name each other (SPEC §5.3).
"""

from __future__ import annotations

from jobs.matching.steps import EACH_OTHER, LEFT_RIGHT, Step, pair_match_id, per_side

# Columns every pair table has: l_id, r_id, l_amt, r_cmp (r's amount in l's sign), currency,
# l_charges (bank charges on l, if any), l_foreign (l was instructed in another currency).
TOLERANCE = "($tol_abs + $tol_rel * abs(r_cmp))"

def _digits(expr: str) -> str:
    return f"list_sort(string_split(regexp_replace(CAST(abs({expr}) AS VARCHAR), '[^0-9]', '', 'g'), ''))"


# A keying slip (two digits transposed) is "other": neither a fee, nor FX, nor a part payment.
SUB_CAUSE = f"""CASE
    WHEN l_charges IS NOT NULL AND abs(abs(r_cmp) - abs(l_amt) - abs(l_charges)) <= $tol_abs
         THEN 'bank_fee'
    WHEN l_foreign THEN 'fx_difference'
    WHEN {_digits('l_amt')} = {_digits('r_cmp')} THEN 'other'
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
                 tolerance: str = TOLERANCE, tol_rule: str | None = None) -> list[Step]:
    """Matches and disputes from a pair table; ``agree`` is an extra SQL condition to match.
    A pair within ``tolerance`` but not equal is recorded as ``tol_rule``."""
    within = f"abs(l_amt - r_cmp) <= {tolerance}"
    ok = f"({within}) AND ({agree or 'TRUE'})"
    sub = mismatch_sub or "NULL"
    if tol_rule is None:
        tol_rule = "amount_tolerance" if rule in {"exact_reference", "reference_in_text"} else rule
    return [
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
            {{id}}, {{other}}, l_amt - r_cmp""", pairs, EACH_OTHER, f"NOT ({ok})")),
    ]
