"""Money as integer minor units: exact like Decimal, but fast enough to write millions of lines.

Amounts drawn for bank-facing records avoid a reserved band of residues modulo 7, and the
amounts of ``fuzzy_name`` pairs sit in the middle of that band: so a fuzzy pair's amount, and
the amounts one minor unit either side, occur on no other bank or bank-GL record, and the pair
has exactly one plausible candidate (SPEC §5.2 "ties become exceptions, not guesses").
"""

from __future__ import annotations

import math
from random import Random

from jobs.currencies import exponent

MOD = 7
FUZZY_RESIDUE = 3
_RESERVED = (2, 3, 4)  # FUZZY_RESIDUE and its neighbours: no amount-tolerance collisions either


def decimals(ccy: str) -> int:
    return exponent(ccy)


def fmt(minor: int, dec: int, sep: str = ".") -> str:
    """Signed minor units as a plain decimal string: 123456 → '1234.56' (dec=2)."""
    if dec == 2:
        if minor < 0:
            whole, frac = divmod(-minor, 100)
            return f"-{whole}{sep}{frac:02d}"
        whole, frac = divmod(minor, 100)
        return f"{whole}{sep}{frac:02d}"
    if dec == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**dec)
    return f"{sign}{whole}{sep}{frac:0{dec}d}"


def is_free(minor: int) -> bool:
    """True when an amount is outside the band reserved for fuzzy-name pairs."""
    return (minor if minor >= 0 else -minor) % MOD not in _RESERVED


def free(minor: int) -> int:
    """The nearest amount at or above ``minor`` (>= 0) that is outside the band."""
    r = minor % MOD
    return minor + 3 if r in _RESERVED else minor


def draw(rng: Random, lo: float, hi: float, dec: int) -> int:
    """A log-uniform amount between lo and hi major units, in minor units, outside the band."""
    major = lo * math.exp(rng.random() * math.log(hi / lo))
    return free(int(major * 10**dec))


def fuzzy(rng: Random, lo: float, hi: float, dec: int, used: set[int]) -> int:
    """An amount inside the band's centre, never used before in ``used`` (one bank account)."""
    while True:
        m = int(lo * math.exp(rng.random() * math.log(hi / lo)) * 10**dec)
        m += (FUZZY_RESIDUE - m) % MOD
        if m not in used:
            used.add(m)
            return m


def convert(minor: int, dec_from: int, rate_micro: int, dec_to: int) -> int:
    """minor × rate, rounded half away from zero to the target currency's minor unit.

    ``rate_micro`` is the rate with 6 decimals as an integer (1.082345 → 1082345), exactly as
    fx_rates.csv states it, so anyone can recompute the converted amount to the unit.
    """
    num = abs(minor) * rate_micro * 10**dec_to
    den = 10**6 * 10**dec_from
    q = (2 * num + den) // (2 * den)
    return q if minor >= 0 else -q


def convert_inverse(minor: int, dec_from: int, rate_micro: int, dec_to: int) -> int:
    """minor ÷ rate (the implied inverse pair), rounded half away from zero."""
    num = abs(minor) * 10**6 * 10**dec_to
    den = rate_micro * 10**dec_from
    q = (2 * num + den) // (2 * den)
    return q if minor >= 0 else -q
