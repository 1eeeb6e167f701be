"""Read-only SQL over one published run: the only place the dashboard touches results (SPEC §7, §9).

Every function takes an open DuckDB connection (a cursor on the published file) and returns
plain values or a pandas frame; none imports Streamlit. Figures come from the pre-aggregated
``kpi_*`` tables so a page stays fast at millions of records; the raw ``exception`` table is read
only where no aggregate can answer (age quantiles, and exception figures restricted to a period,
since ``kpi_exception_aging`` has no period). Values are always bound as ``?`` parameters;
identifiers are interpolated only after being checked against the allowlists below (hence the
``noqa: S608`` markers: what is formatted into SQL is an allowlisted name or a placeholder).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import duckdb
import pandas as pd

from jobs.published import AGE_BUCKETS
from jobs.settings import DEFAULT_QUEUES, DEFAULT_SLA, Settings

# Filter name -> SQL expression, per relation. A filter absent from a relation does not apply
# to it (the cause filter says nothing about matched records).
MATCH_FILTERS = {"period": "period", "entity": "entity", "workflow": "workflow",
                 "currency": "currency"}
AGING_FILTERS = {"entity": "entity", "workflow": "workflow", "cause": "cause",
                 "currency": "currency"}
EXCEPTION_FILTERS = {"period": "strftime(event_date, '%Y-%m')", "entity": "entity",
                     "workflow": "workflow", "cause": "cause", "currency": "currency"}
MATCH_DIMENSIONS = frozenset({"workflow", "entity", "period", "currency"})
AGING_DIMENSIONS = frozenset({"workflow", "entity", "cause", "queue", "currency", "age_bucket"})


@dataclass(frozen=True)
class Filters:
    """What the reader selected; an empty tuple means no restriction on that dimension."""

    period: tuple[str, ...] = ()
    entity: tuple[str, ...] = ()
    workflow: tuple[str, ...] = ()
    cause: tuple[str, ...] = ()
    currency: tuple[str, ...] = ()

    def where(self, columns: Mapping[str, str]) -> tuple[str, list]:
        """``WHERE`` clause (or ``""``) and its parameters for the filters ``columns`` supports."""
        clauses, params = [], []
        for f in fields(self):
            values = getattr(self, f.name)
            if values and f.name in columns:
                clauses.append(f"{columns[f.name]} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


@dataclass(frozen=True)
class AgingPolicy:
    """SLA days and queue per cause, for exception figures computed from raw rows."""

    sla_days: tuple[tuple[str, int], ...] = tuple((c.value, d) for c, d in DEFAULT_SLA.items())
    queues: tuple[tuple[str, str], ...] = tuple((c.value, q) for c, q in DEFAULT_QUEUES.items())

    @classmethod
    def from_settings(cls, settings: Settings) -> AgingPolicy:
        return cls(sla_days=tuple(sorted(settings.sla_days.items())),
                   queues=tuple(sorted(settings.queues.items())))


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    as_of: dt.date
    published_at: dt.datetime
    sources: str | None
    records_in: int | None
    open_exceptions: int | None


@dataclass(frozen=True)
class AgeStats:
    """Open exceptions and their age in days from first seen (None when there are none)."""

    open: int
    median_days: float | None
    p90_days: float | None


def run_info(con: duckdb.DuckDBPyConnection) -> RunInfo | None:
    """The published run's identity and as-of date, or None if ``run_info`` is empty."""
    row = con.execute("SELECT run_id, as_of, published_at, sources, records_in, open_exceptions "
                      "FROM run_info ORDER BY published_at DESC LIMIT 1").fetchone()
    return RunInfo(*row) if row else None


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Distinct values per filter, from the aggregates (cheap), sorted; periods newest first."""
    sql = {
        "period": "SELECT DISTINCT period FROM kpi_match_rate",
        "entity": "SELECT entity FROM kpi_match_rate UNION SELECT entity FROM kpi_exception_aging",
        "workflow": "SELECT workflow FROM kpi_match_rate UNION "
                    "SELECT workflow FROM kpi_exception_aging",
        "cause": "SELECT DISTINCT cause FROM kpi_exception_aging",
        "currency": "SELECT currency FROM kpi_match_rate UNION "
                    "SELECT currency FROM kpi_exception_aging",
    }
    options = {name: sorted(v for (v,) in con.execute(q).fetchall() if v is not None)
               for name, q in sql.items()}
    options["period"].reverse()
    return options


def entity_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Company code -> entity name, from the published master data."""
    return dict(con.execute("SELECT company_code, name FROM entity").fetchall())


def match_rate(con: duckdb.DuckDBPyConnection, filters: Filters,
               by: Sequence[str] = ()) -> pd.DataFrame:
    """Auto-match rate by count (SPEC §7: matched ÷ in scope), grouped by ``by``.

    Columns: ``*by, records, matched, match_rate`` (rate is NaN where nothing is in scope).
    Counts add up across currencies, so no currency split is forced here.
    """
    dims = _dims(by, MATCH_DIMENSIONS)
    where, params = filters.where(MATCH_FILTERS)
    sql = (f"SELECT {_select(dims)} {_count('records')} AS records, "  # noqa: S608
           f"{_count('matched')} AS matched, "
           f"sum(matched) / nullif(sum(records), 0) AS match_rate "
           f"FROM kpi_match_rate{where}{_group(dims)}")
    return _frame(con, sql, params)


def currency_amounts(con: duckdb.DuckDBPyConnection, filters: Filters,
                     policy: AgingPolicy | None = None) -> pd.DataFrame:
    """Amounts per currency, never summed across currencies.

    Columns: ``currency, records, amount_abs, matched_amount_abs, amount_match_rate,
    open_exceptions, open_amount_abs``; ordered by records in scope, most first.
    """
    m_where, m_params = filters.where(MATCH_FILTERS)
    rel, rel_params = _aging_relation(filters, policy)
    a_where, a_params = filters.where(AGING_FILTERS)
    sql = f"""
        WITH m AS (SELECT currency, sum(records) AS records, sum(amount_abs) AS amount_abs,
                          sum(matched_amount_abs) AS matched_amount_abs
                   FROM kpi_match_rate{m_where} GROUP BY currency),
             x AS (SELECT currency, sum(exceptions) AS open_exceptions,
                          sum(amount_abs) AS open_amount_abs
                   FROM ({rel}){a_where} GROUP BY currency)
        SELECT coalesce(m.currency, x.currency) AS currency,
               CAST(coalesce(m.records, 0) AS BIGINT) AS records,
               coalesce(m.amount_abs, 0) AS amount_abs,
               coalesce(m.matched_amount_abs, 0) AS matched_amount_abs,
               m.matched_amount_abs / nullif(m.amount_abs, 0) AS amount_match_rate,
               CAST(coalesce(x.open_exceptions, 0) AS BIGINT) AS open_exceptions,
               coalesce(x.open_amount_abs, 0) AS open_amount_abs
        FROM m FULL OUTER JOIN x ON m.currency IS NOT DISTINCT FROM x.currency
        ORDER BY records DESC, open_exceptions DESC, currency"""  # noqa: S608
    return _frame(con, sql, [*m_params, *rel_params, *a_params])


def open_exceptions(con: duckdb.DuckDBPyConnection, filters: Filters, by: Sequence[str] = (),
                    policy: AgingPolicy | None = None) -> pd.DataFrame:
    """Open exceptions and SLA breaches (counts), grouped by ``by``.

    Columns: ``*by, exceptions, sla_breaches``. Reads ``kpi_exception_aging``; with a period
    filter, aggregates the open rows of ``exception`` instead (the aggregate has no period).
    Amounts are per currency: see ``currency_amounts``.
    """
    dims = _dims(by, AGING_DIMENSIONS)
    rel, rel_params = _aging_relation(filters, policy)
    where, params = filters.where(AGING_FILTERS)
    sql = (f"SELECT {_select(dims)} {_count('exceptions')} AS exceptions, "  # noqa: S608
           f"{_count('sla_breaches')} AS sla_breaches "
           f"FROM ({rel}){where}{_group(dims)}")
    return _frame(con, sql, [*rel_params, *params])


def exception_age(con: duckdb.DuckDBPyConnection, filters: Filters) -> AgeStats:
    """Count, median and p90 age (days from first seen to the run's as-of) of open exceptions."""
    where, params = filters.where(EXCEPTION_FILTERS)
    where = (where + " AND" if where else " WHERE") + " status = 'open'"
    sql = ("SELECT count(*), quantile_cont(age, 0.5), quantile_cont(age, 0.9) FROM ("  # noqa: S608
           "SELECT date_diff('day', first_seen, (SELECT max(as_of) FROM run_info)) AS age "
           f"FROM exception{where})")
    n, median, p90 = con.execute(sql, params).fetchone()
    return AgeStats(open=n, median_days=median, p90_days=p90)


# --- building blocks ------------------------------------------------------------------------

def _aging_relation(filters: Filters, policy: AgingPolicy | None) -> tuple[str, list]:
    """The ``kpi_exception_aging`` shape, from the aggregate or, with a period filter, raw rows."""
    if not filters.period:
        return "SELECT * FROM kpi_exception_aging", []
    policy = policy or AgingPolicy()
    period_where, params = Filters(period=filters.period).where(EXCEPTION_FILTERS)
    sla = dict(policy.sla_days)
    queues = dict(policy.queues)
    causes = sorted(set(sla) | set(queues))
    values = ", ".join("(?, ?, ?)" for _ in causes)
    policy_params = [v for c in causes for v in (c, queues.get(c, "unassigned"), sla.get(c))]
    buckets = _bucket_case("age")
    sql = f"""
        WITH policy(cause, queue, sla) AS (VALUES {values}),
             aged AS (SELECT *, date_diff('day', first_seen, (SELECT max(as_of) FROM run_info))
                                AS age
                      FROM exception{period_where} AND status = 'open')
        SELECT a.workflow, a.entity, a.cause, coalesce(p.queue, 'unassigned') AS queue,
               a.currency, {buckets} AS age_bucket, count(*) AS exceptions,
               sum(abs(a.amount)) AS amount_abs,
               count(*) FILTER (WHERE a.age > p.sla) AS sla_breaches
        FROM aged a LEFT JOIN policy p ON p.cause = a.cause
        GROUP BY ALL"""  # noqa: S608
    return sql, [*policy_params, *params]


def _bucket_case(age: str) -> str:
    """CASE expression mapping an age in days to the published bucket labels (AGE_BUCKETS)."""
    bounds = [int(b.split("-")[1]) for b in AGE_BUCKETS[:-1]]
    whens = " ".join(f"WHEN {age} <= {hi} THEN '{label}'"
                     for hi, label in zip(bounds, AGE_BUCKETS[:-1], strict=True))
    return f"CASE {whens} ELSE '{AGE_BUCKETS[-1]}' END"


def _dims(by: Sequence[str], allowed: frozenset[str]) -> tuple[str, ...]:
    unknown = [d for d in by if d not in allowed]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; allowed: {sorted(allowed)}")
    return tuple(by)


def _select(dims: tuple[str, ...]) -> str:
    return "".join(f"{d}, " for d in dims)


def _group(dims: tuple[str, ...]) -> str:
    if not dims:
        return ""
    cols = ", ".join(dims)
    order = ", ".join(f"list_position({list(AGE_BUCKETS)}, {d})" if d == "age_bucket" else d
                      for d in dims)
    return f" GROUP BY {cols} ORDER BY {order}"


def _count(column: str) -> str:
    """A summed count as BIGINT (DuckDB sums to HUGEINT, which pandas would turn into floats)."""
    return f"CAST(coalesce(sum({column}), 0) AS BIGINT)"


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    """Run ``sql`` with bound ``params``; DECIMAL amounts arrive as floats, for display only."""
    return con.execute(sql, params).df()
