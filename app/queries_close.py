"""Close review (SPEC §1, §7 close-period delay, §9): is the close of one period on track?

For a period (``YYYY-MM`` of the transaction date): per entity, the records in scope and matched
(from ``kpi_match_rate``), the items still unreconciled and their amount per currency (open
exceptions with the workflow store's resolutions applied), against the close calendar (the close
is due ``CLOSE_BUSINESS_DAYS`` working days after the period end); the top causes; the same
figures for the previous periods as a trend; and matches flagged as crossing the cut-off.
No Streamlit here.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from app.queries import MATCH_FILTERS, Filters
from app.queries_ops import has_table
from jobs import export
from jobs.published import CUTOFF_TABLE

CLOSE_BUSINESS_DAYS = 5  # by choice a common month-end close target; shown on the page
NO_ENTITY = "(no entity)"  # records whose company code is unknown (a mapping error)


@dataclass(frozen=True)
class ClosePeriod:
    period: str
    start: dt.date
    end: dt.date
    deadline: dt.date
    as_of: dt.date

    @property
    def days_left(self) -> int:
        """Calendar days until the close deadline (negative once it has passed)."""
        return (self.deadline - self.as_of).days


def close_period(period: str, as_of: dt.date, business_days: int = CLOSE_BUSINESS_DAYS
                 ) -> ClosePeriod:
    """The period's dates and its close deadline (``business_days`` weekdays after its end)."""
    year, month = (int(p) for p in period.split("-"))
    start = dt.date(year, month, 1)
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    deadline = pd.Timestamp(end) + pd.offsets.BusinessDay(business_days)
    return ClosePeriod(period, start, end, deadline.date(), as_of)


def previous(period: str, n: int = 1) -> str:
    """The period ``n`` months before ``period``."""
    return (pd.Period(period, "M") - n).strftime("%Y-%m")


def periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Periods with records in scope, newest first."""
    return [p for (p,) in con.execute("SELECT DISTINCT period FROM kpi_match_rate "
                                      "WHERE period IS NOT NULL ORDER BY period DESC").fetchall()]


def by_entity(con: duckdb.DuckDBPyConnection, period: str, filters: Filters,
              overlay: pa.Table | None) -> pd.DataFrame:
    """Per entity and currency: records, matched, match rate, open items and amount, breaches."""
    scoped = replace(filters, period=(period,))
    m_where, m_params = scoped.where(MATCH_FILTERS)
    x_where, x_params = export.exception_where(_report(scoped))
    sql = f"""
        WITH m AS (SELECT entity, currency, sum(records) AS records, sum(matched) AS matched
                   FROM kpi_match_rate{m_where} GROUP BY ALL),
             x AS (SELECT entity, currency, count(*) AS open_items,
                          sum(abs(amount)) AS open_amount,
                          count(*) FILTER (WHERE sla_breach) AS sla_breaches
                   FROM ({export.exception_view_sql()}){x_where} GROUP BY ALL)
        SELECT coalesce(m.entity, x.entity, ?) AS entity, coalesce(m.currency, x.currency) AS currency,
               CAST(coalesce(m.records, 0) AS BIGINT) AS records,
               CAST(coalesce(m.matched, 0) AS BIGINT) AS matched,
               m.matched / nullif(m.records, 0) AS match_rate,
               CAST(coalesce(x.open_items, 0) AS BIGINT) AS open_items,
               coalesce(x.open_amount, 0) AS open_amount,
               CAST(coalesce(x.sla_breaches, 0) AS BIGINT) AS sla_breaches
        FROM m FULL OUTER JOIN x ON m.entity IS NOT DISTINCT FROM x.entity
                                AND m.currency IS NOT DISTINCT FROM x.currency
        ORDER BY entity, records DESC, currency"""  # noqa: S608
    with export.overlaid(con, overlay):
        return con.execute(sql, [*m_params, *x_params, NO_ENTITY]).df()


def entity_status(rows: pd.DataFrame, close: ClosePeriod) -> pd.DataFrame:
    """One row per entity: counts summed across currencies, and where its close stands.

    ``closed`` nothing unreconciled; ``on track`` before the deadline with no item past its
    SLA; ``at risk`` before the deadline with items past SLA; ``late`` past the deadline with
    items still open.
    """
    if rows.empty:
        return pd.DataFrame(columns=["entity", "records", "matched", "match_rate", "open_items",
                                     "sla_breaches", "status"])
    per = rows.groupby("entity", dropna=False)[["records", "matched", "open_items",
                                                "sla_breaches"]].sum().reset_index()
    per["match_rate"] = per["matched"] / per["records"].replace(0, np.nan)
    per["status"] = [_status(o, b, close) for o, b in zip(per["open_items"], per["sla_breaches"],
                                                          strict=True)]
    return per[["entity", "records", "matched", "match_rate", "open_items", "sla_breaches",
                "status"]]


def top_causes(con: duckdb.DuckDBPyConnection, period: str, filters: Filters,
               overlay: pa.Table | None, limit: int = 5) -> pd.DataFrame:
    """The causes with the most open items of the period: items, SLA breaches, oldest age."""
    where, params = export.exception_where(_report(replace(filters, period=(period,))))
    sql = f"""SELECT cause, count(*) AS items, count(*) FILTER (WHERE sla_breach) AS sla_breaches,
                     max(age_days) AS oldest_days
              FROM ({export.exception_view_sql()}){where}
              GROUP BY cause ORDER BY items DESC, cause LIMIT ?"""  # noqa: S608
    with export.overlaid(con, overlay):
        return con.execute(sql, [*params, limit]).df()


def trend(con: duckdb.DuckDBPyConnection, period: str, filters: Filters,
          overlay: pa.Table | None, periods_back: int = 5) -> pd.DataFrame:
    """Per period up to ``period`` (``periods_back`` before it): match rate and open items.

    Open items are those still open today whose transaction falls in that period.
    """
    wanted = [previous(period, n) for n in range(periods_back, -1, -1)]
    scoped = replace(filters, period=tuple(wanted))
    m_where, m_params = scoped.where(MATCH_FILTERS)
    x_where, x_params = export.exception_where(_report(scoped))
    sql = f"""
        WITH p(period) AS (SELECT unnest(?::VARCHAR[])),
             m AS (SELECT period, sum(records) AS records, sum(matched) AS matched
                   FROM kpi_match_rate{m_where} GROUP BY period),
             x AS (SELECT strftime(event_date, '%Y-%m') AS period, count(*) AS open_items,
                          count(*) FILTER (WHERE sla_breach) AS sla_breaches
                   FROM ({export.exception_view_sql()}){x_where} GROUP BY 1)
        SELECT p.period, CAST(coalesce(m.records, 0) AS BIGINT) AS records,
               CAST(coalesce(m.matched, 0) AS BIGINT) AS matched,
               m.matched / nullif(m.records, 0) AS match_rate,
               CAST(coalesce(x.open_items, 0) AS BIGINT) AS open_items,
               CAST(coalesce(x.sla_breaches, 0) AS BIGINT) AS sla_breaches
        FROM p LEFT JOIN m USING (period) LEFT JOIN x USING (period)
        WHERE m.records IS NOT NULL OR x.open_items IS NOT NULL
        ORDER BY p.period"""  # noqa: S608
    with export.overlaid(con, overlay):
        return con.execute(sql, [wanted, *m_params, *x_params]).df()


def cutoff_matches(con: duckdb.DuckDBPyConnection, period: str) -> int:
    """Matches flagged as crossing the cut-off with a member dated in the period.

    Read from the per-period counts made at publish; a run published before them joins the
    match members here (0.4 s at 5M records), the period as a date range the scan can use.
    """
    if has_table(con, CUTOFF_TABLE):
        return con.execute(f"SELECT coalesce(sum(matches), 0) FROM {CUTOFF_TABLE} "  # noqa: S608
                           "WHERE period = ?", [period]).fetchone()[0]
    year, month = (int(p) for p in period.split("-"))
    start, end = dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    return con.execute("""
        SELECT count(DISTINCT match_id) FROM match_group
        WHERE cutoff_flag AND match_id IN (SELECT match_id FROM match_member
                                           WHERE event_date BETWEEN ? AND ?)""",
                       [start, end]).fetchone()[0]


def _report(filters: Filters) -> dict[str, list[str]]:
    chosen = {k: list(getattr(filters, k)) for k in ("period", "entity", "workflow", "cause",
                                                     "currency")}
    return {**{k: v for k, v in chosen.items() if v}, "status": ["open"]}


def _status(open_items: int, breaches: int, close: ClosePeriod) -> str:
    if not open_items:
        return "closed"
    if close.days_left < 0:
        return "late"
    return "at risk" if breaches else "on track"
