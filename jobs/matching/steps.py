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
    """SQL for a reference normalised for comparison: upper case, letters and digits only, and
    a number without its leading zeros (the ERP keeps 0091000005, the customer writes
    91000005)."""
    letters_digits = f"regexp_replace(upper(coalesce({expr}, '')), '[^A-Z0-9]', '', 'g')"
    return f"nullif({_without_leading_zeros(letters_digits)}, '')"


def unpadded(expr: str) -> str:
    """``expr`` (already letters and digits) as ``norm`` would leave it: a number without its
    leading zeros; the regular expression only runs on what starts with a zero."""
    return f"CASE WHEN {expr} LIKE '0%' THEN {_without_leading_zeros(expr)} ELSE {expr} END"


def _without_leading_zeros(expr: str) -> str:
    return f"regexp_replace({expr}, '^0+([0-9]*)$', '\\1', 'g')"


def claim(rule_table: str, column: str = "record_id") -> Step:
    """Mark every record a rule used, so later rules never reuse it (one group per record).
    No DISTINCT: claims are only ever anti-joined, where a repeated id changes nothing."""
    return Step(f"claim {rule_table}",
                f"INSERT INTO recon__claimed SELECT {column} FROM {rule_table}")


def per_side(select: str, source: str, sides: list[dict[str, str]], where: str = "TRUE") -> str:
    """One row per side of every row of ``source`` (a pair becomes its two members):
    ``select`` and ``where`` are formatted with each side's columns. A UNION ALL of plain scans;
    a LATERAL join over VALUES cost three times as much (a join back to the pairs)."""
    return "\n            UNION ALL\n".join(
        f"SELECT {select.format(**side)} FROM {source} WHERE {where.format(**side)}"
        for side in sides)


def match_id(members: str) -> str:
    """SQL for a match group's id from the SQL list of its member ids (NULLs ignored): a hash
    of the sorted ids, so the same group has the same id in every run and on every engine.
    Each rule computes it from its own rows; grouping every member of every group by its
    group to hash them cost more than all but one rule."""
    return ("'m_' || left(md5(array_to_string(list_sort(list_filter("
            f"{members}, x -> x IS NOT NULL)), ',')), 16)")


def pair_match_id(a: str, b: str) -> str:
    """``match_id`` of a group of two, without building and sorting a list."""
    return f"'m_' || left(md5(least({a}, {b}) || ',' || greatest({a}, {b})), 16)"


LEFT_RIGHT = [{"id": "l_id", "side": "'left'"}, {"id": "r_id", "side": "'right'"}]
EACH_OTHER = [{"id": "l_id", "other": "r_id"}, {"id": "r_id", "other": "l_id"}]


UNCLAIMED = ("NOT EXISTS (SELECT 1 FROM recon__claimed claimed__ "
             "WHERE claimed__.record_id = {alias}.record_id)")


def unclaimed(alias: str) -> str:
    return UNCLAIMED.format(alias=alias)


def open_rows(table: str, alias: str) -> str:
    """``table`` less its claimed records, as ``alias`` in a FROM clause: narrowed before any
    join, where ``unclaimed`` in the WHERE clause was applied after the rule's join."""
    return f"(SELECT open__.* FROM {table} open__ {anti_claimed('open__')}) {alias}"


def anti_claimed(alias: str, column: str = "record_id") -> str:
    """The join form of ``unclaimed``, to follow ``alias`` in a FROM clause: a plain anti join
    where DuckDB plans the correlated NOT EXISTS as a costlier delim join. ``column``: the
    record id column, for a pair table (``l_id``, ``r_id``)."""
    claimed = f"claimed_{alias}" if column == "record_id" else f"claimed_{alias}_{column}"
    return f"ANTI JOIN recon__claimed {claimed} ON {claimed}.record_id = {alias}.{column}"
