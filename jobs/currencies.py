"""ISO 4217: which currency codes exist and how many minor digits each has."""

from __future__ import annotations

from functools import cache

import pycountry

# Minor units that differ from 2 (ISO 4217 list; pycountry does not carry exponents).
_EXPONENTS = {
    **dict.fromkeys(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
                     "UYI", "VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


@cache
def iso_codes() -> frozenset[str]:
    # XXX ("no currency") and XTS (testing) are codes, but never a real transaction currency.
    return frozenset(c.alpha_3 for c in pycountry.currencies) - {"XXX", "XTS"}


def exponent(code: str) -> int:
    return _EXPONENTS.get(code.upper(), 2)
