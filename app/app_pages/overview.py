"""Overview: the page controllers and executives read every morning (SPEC §7, §9)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app import charts, data, filters, session
from app.data import Overview, Published
from app.queries import Filters

EMPTY_STATE = """**Nothing has been published yet.**

The dashboard shows the results of the latest reconciliation run, and no run has been
published in `{home}` so far. Run `recon run --sources DIR` on a source folder, or `make demo` to
simulate a company and reconcile it. The figures appear here as soon as the run is published."""
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def render() -> None:
    ctx = session.context()
    st.title("Overview")
    pub = ctx.pub
    if pub is None:
        st.info(EMPTY_STATE.format(home=ctx.settings.home.resolve()), icon=":material/inbox:")
        return
    overview = data.overview(pub, ctx.filters)
    currency = _header(pub, overview)
    _notes(overview, ctx.filters, currency)
    _tiles(pub, overview, currency)
    _charts(overview, ctx.names)


def _header(pub: Published, overview: Overview) -> str | None:
    run, pick = st.columns([3, 1], vertical_alignment="bottom")
    run.caption(f"Run `{pub.run.run_id}` · published {charts.timestamp(pub.run.published_at)} "
                f"· figures as of {pub.run.as_of:%Y-%m-%d}")
    with pick:
        return filters.amount_currency(overview.currencies)


def _notes(overview: Overview, chosen: Filters, currency: str | None) -> None:
    if overview.total("records") == 0 and overview.total("exceptions") == 0:
        st.info("No records in scope for these filters.", icon=":material/filter_alt_off:")
    if len(overview.currencies) > 1:
        st.caption(f"Amounts in **{currency}**: amounts are never added across currencies. "
                   f"{len(overview.currencies)} currencies are in view; pick another above or see "
                   "*Amounts per currency* below. Rates by count and counts cover all of them.")
    if chosen.cause:
        st.caption("The cause filter narrows exception figures; match rates cover every record "
                   "in scope (a matched record has no cause).")


def _tiles(pub: Published, overview: Overview, currency: str | None) -> None:
    amounts = overview.amounts_in(currency)
    ccy = currency or "no currency"
    row = st.columns(4)
    row[0].metric("Auto-match rate (count)", charts.percent(overview.total("match_rate")),
                  help=f"Matched by rules ÷ in scope: {charts.count(overview.total('matched'))} "
                       f"of {charts.count(overview.total('records'))} records.", border=True)
    row[1].metric(f"Auto-match rate (amount, {ccy})",
                  charts.percent(amounts.get("amount_match_rate")),
                  help=f"Matched amount ÷ amount in scope, absolute values, {ccy} only.",
                  border=True)
    row[2].metric("Open exceptions", charts.count(overview.total("exceptions")), border=True)
    row[3].metric(f"Open exception amount ({ccy})",
                  charts.money(amounts.get("open_amount_abs"), currency),
                  help=f"Sum of absolute amounts of open exceptions in {ccy}.", border=True)
    row = st.columns(4)
    row[0].metric("Exceptions in SLA breach", charts.count(overview.total("sla_breaches")),
                  help="Open exceptions older than the SLA days set for their cause.", border=True)
    row[1].metric("Median age", charts.days(overview.age.median_days),
                  help="Days from first seen to the run's as-of date, open exceptions.",
                  border=True)
    row[2].metric("p90 age", charts.days(overview.age.p90_days),
                  help="90% of open exceptions are younger than this.", border=True)
    published = pub.run.published_at.astimezone(dt.UTC)
    row[3].metric("Last run", f"{published:%Y-%m-%d}",
                  delta=f"{published:%H:%M} UTC · as of {pub.run.as_of:%Y-%m-%d}",
                  delta_color="off", delta_arrow="off", border=True,
                  help="When the run shown was published, and the date its figures are as of.")
    with st.expander("Amounts per currency"):
        st.dataframe(overview.amounts, hide_index=True, column_config={
            "currency": "Currency", "records": "Records in scope",
            "amount_abs": st.column_config.NumberColumn("Amount in scope", format="localized"),
            "matched_amount_abs": st.column_config.NumberColumn("Matched", format="localized"),
            "amount_match_rate": st.column_config.NumberColumn("Match rate (amount)",
                                                               format="percent"),
            "open_exceptions": "Open exceptions",
            "open_amount_abs": st.column_config.NumberColumn("Open amount", format="localized"),
        })


def _charts(overview: Overview, names: dict[str, str]) -> None:
    figures = {
        "by_workflow": charts.match_rate_by_workflow(overview.by_workflow),
        "by_cause": charts.exceptions_by_cause(overview.by_cause),
        "aging": charts.aging_by_cause(overview.aging),
        "trend": charts.match_rate_trend(overview.trend, names),
        "by_queue": charts.exceptions_by_queue(overview.by_queue),
        "sync_latency": charts.percentiles(
            overview.sync_latency, "pair", "Synchronization latency per source pair"),
        "cycle_time": charts.percentiles(
            overview.cycle_time, "workflow", "Reconciliation cycle time (transaction to match)"),
        "feed_latency": charts.percentiles(
            overview.feed_latency, "source_system", "Feed latency (business date to snapshot)"),
    }
    items = list(figures.items())
    for pair in (items[i:i + 2] for i in range(0, len(items), 2)):
        for column, (name, figure) in zip(st.columns(2), pair, strict=True):
            column.plotly_chart(figure, key=f"overview_{name}", theme=None, config=PLOT_CONFIG)


render()
