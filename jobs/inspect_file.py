"""What ``recon inspect`` reports for one file: format, records and totals, or the rejection.

Totals are per currency (an amount in EUR is never added to one in CHF), per table. The
``problems`` a connector accepted a file with (a statement that does not add up, a balance
missing from a truncated statement...) are reported beside the figures, as ``warnings``, so a
file read leniently never looks like a clean one. Whatever the file, the report is a dict:
nothing a file holds may surface as a traceback.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from connectors.base import Batch, RejectedFile
from connectors.registry import default_connectors, detect

#: Where a table keeps its amount (the first column found) and its currency.
AMOUNT_COLUMNS = ("amount", "total")
NO_CURRENCY = "(no currency)"


def inspect_file(path: Path) -> dict[str, Any]:
    """Detect the file's format, read it, and report; never raises for a bad file."""
    report: dict[str, Any] = {"file": str(path), "ok": False}
    try:
        connector = detect(path, default_connectors())
        report["connector"] = connector.name
        batch = connector.read(path)
        figures = _figures(batch)
    except RejectedFile as err:
        report["error"] = str(err)
        return report
    except Exception as err:  # noqa: BLE001 (by choice: inspect never shows a traceback)
        report["error"] = f"{path}: unexpected error while reading ({type(err).__name__}: {err})"
        return report
    report.update(ok=True, **figures)
    return report


def _figures(batch: Batch) -> dict[str, Any]:
    totals = {name: _totals(rows) for name, rows in batch.tables.items()}
    main = next(iter(totals.values()), None)
    problems = [str(p) for p in batch.control.get("problems") or []]
    return {
        "format": batch.format, "system": str(batch.system), "records": batch.record_count(),
        "total_amount": _readable(main) if main else None,
        "totals_by_currency": main,
        "tables": {name: _count(rows) for name, rows in batch.tables.items()},
        "totals_by_table": {name: t for name, t in totals.items() if t},
        "warnings": problems,
        "control": batch.control,
    }


def _count(rows: Any) -> int:
    return rows.num_rows if isinstance(rows, pa.Table) else len(rows)


def _totals(rows: Any) -> dict[str, str] | None:
    """Sum of the amount column per currency, as exact decimal text; None without amounts."""
    if isinstance(rows, pa.Table):
        columns = set(rows.column_names)
        amount = next((c for c in AMOUNT_COLUMNS if c in columns), None)
        if amount is None:
            return None
        currencies = (rows.column("currency").to_pylist() if "currency" in columns
                      else [None] * rows.num_rows)
        pairs = zip(currencies, rows.column(amount).to_pylist(), strict=True)
    else:
        if not rows:
            return None
        amount = next((c for c in AMOUNT_COLUMNS if c in rows[0]), None)
        if amount is None:
            return None
        pairs = ((row.get("currency"), row.get(amount)) for row in rows)
    sums: dict[str, Decimal] = {}
    for currency, value in pairs:
        if value is None:
            continue
        key = currency if isinstance(currency, str) and currency else NO_CURRENCY
        sums[key] = sums.get(key, Decimal(0)) + _decimal(value)
    return {c: f"{v:f}" for c, v in sorted(sums.items())} or None


def _decimal(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"amount {value!r} is not a number") from None


def _readable(totals: dict[str, str]) -> str:
    """``12.50 EUR, 3.00 CHF``: one figure per currency, never a sum across them."""
    return ", ".join(f"{amount} {currency}" for currency, amount in totals.items())
