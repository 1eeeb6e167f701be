"""The values bank files carry (amounts, currencies, dates), validated by one rule for every format.

``Decimal()`` alone would accept ``1e5``, ``NaN`` or ``-0``; a bank amount is digits with an
optional fraction, and its sign comes from a separate debit/credit mark.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

#: ISO 20022 allows 18 digits, 5 of them decimals; the warehouse keeps NUMERIC(18, 4), so
#: at most 14 before the point and 4 after (trailing zeros beyond that are dropped).
AMOUNT = re.compile(r"\d{1,14}(?:\.\d{1,5})?")
_AMOUNT_MATCH = AMOUNT.fullmatch
_PLACES = Decimal("0.0001")
RATE = re.compile(r"\d{1,11}(?:\.\d{1,11})?")
CURRENCY = re.compile(r"[A-Z]{3}")

#: ISO 4217 currencies whose minor unit is not 2 (BAI2 amounts are in minor units).
MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3, "CLF": 4, "UYW": 4,
}

#: Caches of values already checked (bounded): the hot camt path looks them up first.
SEEN_DATES: dict[str, dt.date] = {}
SEEN_CURRENCIES: set[str] = set()


class BadValue(ValueError):
    """A value that is not what its field requires; the reader adds file and record."""


def parse_amount(text: str | None, what: str = "amount") -> Decimal:
    """An unsigned decimal amount written with a dot (camt style)."""
    if text is None:
        raise BadValue(f"{what} is missing")
    if not _AMOUNT_MATCH(text):
        raise BadValue(f"{what} {text!r} is not a valid amount")
    value = Decimal(text)
    dot = text.find(".")
    if dot >= 0 and len(text) - dot > 5:  # more than 4 decimal places written
        rounded = value.quantize(_PLACES)
        if rounded != value:
            raise BadValue(f"{what} {text!r} has more decimal places than the 4 kept")
        value = rounded
    return value


def parse_rate(text: str, what: str = "rate") -> Decimal:
    """An exchange rate: more fraction digits than an amount may have."""
    if not RATE.fullmatch(text):
        raise BadValue(f"{what} {text!r} is not a valid rate")
    return Decimal(text)


def check_currency(code: str | None, what: str = "currency") -> str:
    """A three-letter ISO 4217 style code."""
    if code in SEEN_CURRENCIES:
        return code
    if code is None:
        raise BadValue(f"{what} is missing")
    if not CURRENCY.fullmatch(code):
        raise BadValue(f"{what} {code!r} is not a three-letter currency code")
    if len(SEEN_CURRENCIES) < 1_000:
        SEEN_CURRENCIES.add(code)
    return code


def parse_date(text: str | None, what: str = "date") -> dt.date | None:
    """The calendar date of an ISO date or date-time (``2024-01-31`` or ``2024-01-31T10:00+01``).

    By choice the date is taken as written, in the bank's time zone: the booking day the bank
    states is the one a controller reconciles against.
    """
    if text is None:
        return None
    day = SEEN_DATES.get(text)
    if day is None:
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError:
            raise BadValue(f"{what} {text!r} is not a valid date") from None
        if len(SEEN_DATES) < 10_000:
            SEEN_DATES[text] = day
    return day


def minor_units(currency: str) -> int:
    """Decimal places of a currency's minor unit (2 unless listed)."""
    return MINOR_UNITS.get(currency, 2)


def decode_text(data: bytes) -> str:
    """Text of a line-based bank file: UTF-8, else Windows-1252 (legacy bank exports).

    NUL bytes mean it is no text file (UTF-16, binary), which no decoding would fix.
    """
    if b"\x00" in data:
        raise BadValue("file contains NUL bytes: not a text file (UTF-16 or binary?)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
