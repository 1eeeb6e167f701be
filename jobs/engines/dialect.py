"""DuckDB SQL → Spark SQL: the one module that knows how the two dialects differ (SPEC §13).

The matching steps are written once, in DuckDB's dialect, by pure functions. This module turns
each step into a ``SparkStatement``: SQLGlot parses the DuckDB text, a few rewrites of our own
replace what SQLGlot does not translate (or translates with other semantics), values are bound
as literal nodes of the tree (never spliced into text), and SQLGlot writes Spark SQL. Spark has
no temporary tables, so a step's DDL/DML becomes one of three actions the executor performs on
temporary views: ``replace`` a view by a query, create an ``empty`` one, ``append`` a query.

What DuckDB means         | what Spark is given
--------------------------|--------------------------------------------------------------------
``QUALIFY``               | a subquery filtered on the window columns (SQLGlot; helper columns
                          | named ``_w...`` leak through ``SELECT *``: ``HELPER_COLUMN`` names them)
``ASOF [LEFT] JOIN``      | an ordinary join on the table extended with ``lead()`` (or ``lag()``)
                          | of its ordering column: the row whose interval holds the probe
``list[i:j]``             | ``slice(list, i, j - i + 1)``
``list(x ORDER BY k)``    | ``array_sort`` of ``collect_list(struct(k, x))`` with a comparator
``arg_min(x, k)``         | ``min_by(x, CASE WHEN x IS NOT NULL THEN k END)`` (DuckDB skips NULL x)
``a / b``                 | ``try_divide(CAST(a AS DOUBLE), b)`` (DuckDB divides in DOUBLE, NULL on 0)
``regexp_replace(.., 'g')``| Java replacement syntax (``$1`` for ``\\1``); without 'g' refused
``list_has_any(a, b)``    | ``arrays_overlap(a, b)`` (SQLGlot would write Postgres' ``&&``)
``$name``                 | a literal node for the bound value
and the small table ``FUNCTIONS`` (``list_position``, ``timezone``...).

Conventions the matching SQL keeps so the translation stays exact: ``array_length`` (not
``len``) for lists; inline ``VALUES`` rather than the ``range()`` table function; no
``FILTER`` clause on window aggregates; every ``regexp_replace`` global; ``NOT EXISTS`` rather
than ``NOT IN (subquery)`` inside an ``OR`` (Spark can only run that NULL-aware form as a
nested-loop join). Known differences left as they are: ``list()`` keeps NULL elements where
Spark's ``collect_list`` drops them (our lists hold ids, never NULL), and ``string_agg``
without ``ORDER BY`` concatenates in whatever order each engine meets the rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

READ, WRITE = "duckdb", "spark"
# Columns the rewrites add to a query's output; the executor drops them from stored views.
HELPER_COLUMN = re.compile(r"^(_w(_\d+)?|recon__asof_\w+)$")
_NEXT = "recon__asof_next"


class UnsupportedSQL(ValueError):
    """A DuckDB construct this layer does not translate; the message says which."""


@dataclass(frozen=True)
class SparkStatement:
    """One step as Spark can run it: ``sql`` is a query for ``replace``/``append``, ``schema``
    the column list (Spark DDL) for ``empty``; ``target`` is None for a plain query."""

    action: Literal["replace", "empty", "append", "query"]
    target: str | None
    sql: str = ""
    schema: str = ""


def statement(sql: str, params: Mapping[str, Any] | None = None) -> SparkStatement:
    """Translate one DuckDB statement (DDL, DML or query) with ``$name`` values bound."""
    tree = _rewrite(_bind(_parse(sql), params or {}))
    if isinstance(tree, exp.Create):
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if tree.expression is not None:
            return SparkStatement("replace", _name(target), _spark(tree.expression))
        cols = [c.sql(WRITE) for c in tree.this.expressions if isinstance(c, exp.ColumnDef)]
        return SparkStatement("empty", _name(target), schema=", ".join(cols))
    if isinstance(tree, exp.Insert):
        if isinstance(tree.this, exp.Schema):
            raise UnsupportedSQL("INSERT with a column list: insert whole rows, in order")
        return SparkStatement("append", _name(tree.this), _spark(tree.expression))
    if isinstance(tree, exp.Delete):
        table = _name(tree.this)
        keep = exp.select("*").from_(table)
        where = tree.args.get("where")
        if where is not None:
            keep = keep.where(exp.not_(exp.func("coalesce", where.this, exp.false())))
        return SparkStatement("replace", table, _spark(keep))
    if isinstance(tree, exp.Query):
        return SparkStatement("query", None, _spark(tree))
    raise UnsupportedSQL(f"statement {type(tree).__name__} has no Spark form here")


def transpile(sql: str, params: Mapping[str, Any] | None = None) -> str:
    """A DuckDB query as Spark SQL, ``$name`` values bound."""
    return statement(sql, params).sql


def tables_read(sqls: Iterable[str]) -> set[str]:
    """Tables the statements read that none of them creates: the inputs to provide."""
    read: set[str] = set()
    made: set[str] = set()
    for sql in sqls:
        tree = _parse(sql)
        if isinstance(tree, exp.Create | exp.Insert | exp.Delete):
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            made.add(_name(target))
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        read |= {t.name for t in tree.find_all(exp.Table) if t.name not in ctes}
    return read - made


def _parse(sql: str) -> exp.Expression:
    trees = [t for t in sqlglot.parse(sql, read=READ) if t is not None]
    if len(trees) != 1:
        raise UnsupportedSQL(f"expected one statement, got {len(trees)}")
    return trees[0]


def _spark(tree: exp.Expression) -> str:
    return tree.sql(dialect=WRITE, unsupported_level=ErrorLevel.RAISE)


def _name(table: exp.Expression) -> str:
    if not isinstance(table, exp.Table):
        raise UnsupportedSQL(f"expected a table name, got {table.sql(READ)}")
    return table.name


# --- values ---------------------------------------------------------------------------------

def literal(value: Any) -> exp.Expression:
    """A Python value as a typed SQL literal node (quoting is the generator's job)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UnsupportedSQL(f"cannot bind {value}")
        return exp.Literal.number(format(value, "f"))
    if isinstance(value, float):
        return exp.cast(exp.Literal.string(repr(value)), exp.DataType.Type.DOUBLE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, dt.datetime):
        utc = value.astimezone(dt.UTC) if value.tzinfo else value  # sessions run in UTC
        return exp.cast(exp.Literal.string(utc.replace(tzinfo=None).isoformat(sep=" ")),
                        exp.DataType.Type.TIMESTAMP)
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise UnsupportedSQL(f"cannot bind a {type(value).__name__}")


def _bind(tree: exp.Expression, params: Mapping[str, Any]) -> exp.Expression:
    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder | exp.Parameter):
            name = node.name
            if name not in params:
                raise UnsupportedSQL(f"no value bound for ${name}")
            return literal(params[name])
        return node
    return tree.transform(bind)


# --- rewrites -------------------------------------------------------------------------------

def _rewrite(tree: exp.Expression) -> exp.Expression:
    for select in list(tree.find_all(exp.Select)):
        _asof_joins(select)
    # Children first, so a rewritten node is built from rewritten arguments.
    for node in reversed(list(tree.walk(bfs=False))):
        new = _node(node)
        if new is not node:
            if node is tree:
                return new
            node.replace(new)
    return tree


def _node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 \
            and isinstance(node.expressions[0], exp.Slice):
        return _slice(node.this, node.expressions[0])
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node.this)
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        return node.__class__(this=node.this, expression=exp.case().when(
            exp.not_(exp.Is(this=node.this.copy(), expression=exp.null())), node.expression))
    if isinstance(node, exp.Div) and not node.args.get("typed"):
        return exp.func("try_divide", exp.cast(node.this, exp.DataType.Type.DOUBLE),
                        node.expression)
    if isinstance(node, exp.RegexpReplace):
        return _regexp_replace(node)
    if isinstance(node, exp.ArrayOverlaps):  # list_has_any; SQLGlot writes Postgres' &&
        return exp.func("arrays_overlap", node.this, node.expression)
    if isinstance(node, exp.Anonymous) and node.name.lower() in FUNCTIONS:
        return FUNCTIONS[node.name.lower()](list(node.expressions))
    return node


def _timezone(args: list[exp.Expression]) -> exp.Expression:
    zone, ts = args
    if isinstance(zone, exp.Literal) and zone.this.upper() == "UTC":
        return ts  # Spark sessions run in UTC (see spark.session): the wall clock is UTC
    return exp.func("from_utc_timestamp", ts, zone)


# DuckDB function → Spark expression, for what SQLGlot leaves as an unknown function.
FUNCTIONS: dict[str, Callable[[list[exp.Expression]], exp.Expression]] = {
    "list_position": lambda a: exp.func("array_position", *a),
    "array_position": lambda a: exp.func("array_position", *a),
    # 1-based on both; NULL past the end on both (element_at raises there under ANSI mode)
    "list_extract": lambda a: exp.func("try_element_at", *a),
    "timezone": _timezone,
}


def _slice(array: exp.Expression, bounds: exp.Slice) -> exp.Expression:
    """DuckDB ``l[i:j]`` (1-based, both ends included) as Spark ``slice(l, i, j - i + 1)``."""
    start = bounds.this or exp.Literal.number(1)
    end = bounds.expression or exp.func("size", array.copy())
    length = exp.Add(this=exp.Sub(this=end, expression=exp.paren(start.copy())),
                     expression=exp.Literal.number(1))
    return exp.func("slice", array, start, length)


def _ordered_list(order: exp.Order) -> exp.Expression:
    """``list(x ORDER BY k1 DESC, k2)`` → sort ``collect_list(struct(k1, k2, x))`` by a
    comparator that follows DuckDB's order (NULLs last unless said otherwise), keep x."""
    keys = list(order.expressions)
    fields = [exp.alias_(k.this, f"k{i}") for i, k in enumerate(keys)]
    fields.append(exp.alias_(order.this, "v"))
    cases = []
    for i, k in enumerate(keys):
        lo, hi = ("1", "-1") if k.args.get("desc") else ("-1", "1")
        nl, nr = ("-1", "1") if k.args.get("nulls_first") else ("1", "-1")
        cases.append(f"WHEN l.k{i} IS NULL AND r.k{i} IS NOT NULL THEN {nl} "
                     f"WHEN l.k{i} IS NOT NULL AND r.k{i} IS NULL THEN {nr} "
                     f"WHEN l.k{i} < r.k{i} THEN {lo} WHEN l.k{i} > r.k{i} THEN {hi}")
    compare = _lambda(f"CASE {' '.join(cases)} ELSE 0 END", "l", "r")
    collected = exp.func("collect_list", exp.Struct(expressions=fields))
    return exp.func("transform", exp.func("array_sort", collected, compare), _lambda("e.v", "e"))


def _lambda(body: str, *names: str) -> exp.Lambda:
    return exp.Lambda(this=sqlglot.parse_one(body, read=WRITE),
                      expressions=[exp.to_identifier(n) for n in names])


def _regexp_replace(node: exp.RegexpReplace) -> exp.Expression:
    flags = node.args.get("modifiers")
    flags = flags.name if flags is not None else ""
    if "g" not in flags or set(flags) - {"g", "i"}:
        raise UnsupportedSQL(f"regexp_replace with options {flags!r}: Spark always replaces "
                             "every match; write the DuckDB call with 'g'")
    pattern, repl = node.expression, node.args.get("replacement")
    if "i" in flags:
        if not isinstance(pattern, exp.Literal):
            raise UnsupportedSQL("regexp_replace with 'i' needs a literal pattern")
        pattern = exp.Literal.string("(?i)" + pattern.this)
    if isinstance(repl, exp.Literal):  # DuckDB (RE2) \1 → Java $1; a literal $ stays literal
        repl = exp.Literal.string(re.sub(r"\\(\d)", r"$\1", repl.this.replace("$", r"\$")))
    elif repl is not None:
        raise UnsupportedSQL("regexp_replace needs a literal replacement")
    return exp.RegexpReplace(this=node.this, expression=pattern, replacement=repl)


def _asof_joins(select: exp.Select) -> None:
    """``A ASOF [LEFT] JOIN F ON F.k = A.k AND A.t >= F.t``: each A row takes the F row with the
    greatest ``F.t <= A.t``. Without ASOF: F rows carry the next ``t`` of their partition, and the
    probe must fall in ``[t, next)``. ``>`` uses ``(t, next]``; ``<=``/``<`` mirror with lag."""
    for join in select.args.get("joins") or []:
        if (join.args.get("method") or "").upper() != "ASOF":
            continue
        table = join.this
        if not isinstance(table, exp.Table):
            raise UnsupportedSQL("ASOF JOIN on something other than a table")
        alias = table.alias_or_name
        conds = list(join.args["on"].flatten()) if isinstance(join.args.get("on"), exp.And) \
            else [join.args.get("on")]
        keys, order = [], None
        for cond in conds:
            own = [c for c in (cond.this, cond.expression)
                   if isinstance(c, exp.Column) and c.table == alias]
            if isinstance(cond, exp.EQ) and own:
                keys.append(own[0].name)
            elif isinstance(cond, exp.GTE | exp.GT | exp.LTE | exp.LT) and len(own) == 1:
                if order is not None:
                    raise UnsupportedSQL("ASOF JOIN with two inequalities")
                order = _asof_bound(cond, own[0])
            else:
                raise UnsupportedSQL(f"ASOF JOIN condition {cond.sql(READ)}")
        if order is None:
            raise UnsupportedSQL("ASOF JOIN without an inequality")
        column, probe, forward, strict = order
        step = "lead" if forward else "lag"
        window = exp.Window(this=exp.func(step, exp.column(column)),
                            partition_by=[exp.column(k) for k in keys],
                            order=exp.Order(expressions=[exp.Ordered(this=exp.column(column))]))
        source = table.copy()
        source.set("alias", None)
        extended = exp.select("*", exp.alias_(window, _NEXT)).from_(source)
        join.set("this", extended.subquery(alias))
        bound = exp.column(_NEXT, alias)
        edge = (exp.LTE if strict else exp.LT) if forward else (exp.GTE if strict else exp.GT)
        join.set("on", exp.and_(join.args["on"], exp.or_(
            exp.Is(this=bound.copy(), expression=exp.null()), edge(this=probe.copy(),
                                                                  expression=bound))))
        join.set("method", None)


def _asof_bound(cond: exp.Expression, own: exp.Column) -> tuple[str, exp.Expression, bool, bool]:
    """(ordering column of the ASOF table, probe expression, probe ≥ column?, strict?)."""
    left_is_own = cond.this is own
    probe = cond.expression if left_is_own else cond.this
    ge = isinstance(cond, exp.GTE | exp.GT) != left_is_own  # probe >= own
    return own.name, probe, ge, isinstance(cond, exp.GT | exp.LT)
