"""Stripe amounts are integers of minor units; this turns them into exact major-unit decimals.

The exponent follows Stripe's currency list (docs: "Zero-decimal currencies", "Three-decimal
currencies"): ISK, HUF and TWD are "special cases" that the API still expresses with two
decimals, so they keep the default exponent of 2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

ZERO_DECIMAL = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
    "XAF", "XOF", "XPF",
})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


class StripeDataError(ValueError):
    """A Stripe object that cannot be read faithfully; ``record`` names it, the message the problem."""

    def __init__(self, problem: str, record: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.record = record


def exponent(currency: str) -> int:
    """Minor-unit digits Stripe uses for this (upper-case ISO 4217) currency."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def currency_of(obj: dict[str, Any], field: str = "currency") -> str:
    """Upper-case ISO code of a Stripe object's currency; Stripe writes it lower-case."""
    value = obj.get(field)
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise StripeDataError(f"{field} {value!r} is not a three-letter currency code"
                              if value is not None else f"missing {field}")
    return value.upper()


def minor(obj: dict[str, Any], field: str, required: bool = True) -> int | None:
    """An integer minor-unit field; a string or fraction is refused rather than guessed at."""
    value = obj.get(field)
    if value is None:
        if required:
            raise StripeDataError(f"missing {field}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeDataError(f"{field} {value!r} is not an integer number of minor units "
                              f"(Stripe writes 10.00 USD as 1000)")
    return value


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units to an exact major-unit decimal: 1999 USD -> 19.99, 500 JPY -> 500."""
    return Decimal(amount).scaleb(-exponent(currency))


def timestamp(obj: dict[str, Any], field: str, required: bool = False) -> dt.datetime | None:
    """Unix seconds to an aware UTC datetime."""
    value = obj.get(field)
    if value is None:
        if required:
            raise StripeDataError(f"missing {field}")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeDataError(f"{field} {value!r} is not a unix timestamp")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def ref(value: Any) -> str | None:
    """The id of a reference field, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def jsonable(value: Any) -> Any:
    """The payload as plain JSON types, decimals (JSON numbers that were not integers) as strings."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value
