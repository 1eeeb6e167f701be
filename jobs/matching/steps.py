"""A named SQL step with bound parameters: the unit that ``run`` executes and reports on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    name: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def norm(expr: str) -> str:
    """SQL for a reference normalised for comparison: upper case, letters and digits only."""
    return f"nullif(regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]', '', 'g'), '')"


def claim(rule_table: str, column: str = "record_id") -> Step:
    """Mark every record a rule used, so later rules never reuse it (one group per record)."""
    return Step(f"claim {rule_table}",
                f"INSERT INTO recon__claimed SELECT DISTINCT {column} FROM {rule_table}")


UNCLAIMED = ("NOT EXISTS (SELECT 1 FROM recon__claimed claimed__ "
             "WHERE claimed__.record_id = {alias}.record_id)")


def unclaimed(alias: str) -> str:
    return UNCLAIMED.format(alias=alias)
