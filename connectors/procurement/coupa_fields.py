"""Typed access to Coupa-style JSON fields: exact decimals, aware timestamps, nested codes.

Every accessor raises :class:`FieldError` naming the field, so the reader can reject the file
with the record and the problem instead of guessing a value.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any


class FieldError(ValueError):
    """A missing or malformed field; the message names it."""


def get(obj: dict[str, Any], path: str) -> Any:
    """A possibly nested value (``currency.code``), or None when any step is absent."""
    value: Any = obj
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def text(obj: dict[str, Any], path: str, required: bool = False) -> str | None:
    """A string or integer id as text; None (or FieldError if required) when absent or empty."""
    value = get(obj, path)
    if isinstance(value, bool) or (value is not None and not isinstance(value, str | int)):
        raise FieldError(f"{path} {value!r} is not text or an id")
    out = str(value).strip() if value is not None else ""
    if not out:
        if required:
            raise FieldError(f"missing {path}")
        return None
    return out


def decimal(obj: dict[str, Any], path: str, required: bool = True) -> Decimal | None:
    """A decimal string ("1234.50") or JSON number, exactly; never through float."""
    value = get(obj, path)
    if value is None or value == "":
        if required:
            raise FieldError(f"missing {path}")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise FieldError(f"{path} {value!r} is not a decimal number")
    try:
        out = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise FieldError(f"{path} {value!r} is not a decimal number") from None
    if not out.is_finite():
        raise FieldError(f"{path} {value!r} is not a finite number")
    exponent = out.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise FieldError(f"{path} {value!r} has more than 4 decimals (the canonical precision); "
                         "rounding it would not be faithful")
    return out


def integer(obj: dict[str, Any], path: str, required: bool = True) -> int | None:
    """An integer, also when written as a string ("3")."""
    value = get(obj, path)
    if value is None or value == "":
        if required:
            raise FieldError(f"missing {path}")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise FieldError(f"{path} {value!r} is not an integer")


def currency(obj: dict[str, Any], path: str = "currency.code") -> str:
    code = text(obj, path, required=True) or ""
    if len(code) != 3 or not code.isalpha():
        raise FieldError(f"{path} {code!r} is not a three-letter currency code")
    return code.upper()


def timestamp(obj: dict[str, Any], path: str) -> dt.datetime | None:
    """ISO 8601 to an aware datetime; a value without offset is taken as UTC (Coupa sends one)."""
    value = text(obj, path)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{path} {value!r} is not an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def date(obj: dict[str, Any], path: str) -> dt.date | None:
    """An ISO date; a timestamp keeps the date as written (the supplier's calendar day)."""
    value = text(obj, path)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise FieldError(f"{path} {value!r} is not an ISO 8601 date") from None


def jsonable(value: Any) -> Any:
    """The payload as plain JSON types, with exact decimals kept as strings."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return str(value) if isinstance(value, Decimal) else value
