"""Plotly figures and number formats for the dashboard: pure functions, no Streamlit.

A sober finance look: white background, one navy accent, a fixed colour per cause so a cause
keeps its colour on every chart, rates as percentages, counts as integers, amounts with their
currency and that currency's decimals.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from connectors.canonical import Cause
from jobs.published import AGE_BUCKETS

ACCENT = "#1f4e79"
FONT = dict(family="Inter, 'Segoe UI', Helvetica, Arial, sans-serif", size=13, color="#1b2733")
# One colour per cause, in precedence order (defects and duplicates warm, timing cool).
CAUSE_COLORS = dict(zip([c.value for c in Cause], [
    "#b03a2e", "#d4813a", "#c9a227", "#7d6b9e", "#4f7cac", "#2e8b8b", "#8fa9c4", "#5c6770",
], strict=True))
# ISO 4217 currencies without minor units (as Stripe lists them).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                          "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
NOTHING = "—"
NO_ENTITY = "(no entity)"
SERIES_COLORS = ["#1f4e79", "#2e8b8b", "#c9a227", "#7d6b9e", "#b03a2e", "#5c6770", "#8fa9c4"]


def match_rate_by_workflow(df: pd.DataFrame) -> go.Figure:
    """Bar per workflow of the auto-match rate by count; frame from ``match_rate(by=[workflow])``."""
    if df.empty:
        return empty("No records in scope for these filters")
    fig = go.Figure(go.Bar(
        x=df["workflow"], y=df["match_rate"], marker_color=ACCENT,
        text=[f"{r:.1%}" for r in df["match_rate"]], textposition="outside", cliponaxis=False,
        customdata=df[["matched", "records"]],
        hovertemplate="%{x}<br>%{y:.1%} matched (%{customdata[0]:,} of %{customdata[1]:,})"
                      "<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1], title="auto-match rate (count)")
    fig.update_xaxes(title=None)
    return style(fig, "Auto-match rate per workflow")


def exceptions_by_cause(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars of open exceptions per cause; frame from ``open_exceptions(by=[cause])``."""
    if df.empty or df["exceptions"].sum() == 0:
        return empty("No open exceptions for these filters")
    df = df.sort_values("exceptions")
    fig = go.Figure(go.Bar(
        x=df["exceptions"], y=df["cause"], orientation="h", text=df["exceptions"],
        textposition="outside", cliponaxis=False,
        marker_color=[CAUSE_COLORS.get(c, ACCENT) for c in df["cause"]],
        customdata=df[["sla_breaches"]],
        hovertemplate="%{y}<br>%{x:,} open, %{customdata[0]:,} past SLA<extra></extra>"))
    fig.update_xaxes(title="open exceptions (count)")
    fig.update_yaxes(title=None)
    return style(fig, "Open exceptions by cause")


def exceptions_by_queue(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars of open exceptions per queue; frame from ``open_exceptions(by=[queue])``."""
    if df.empty or df["exceptions"].sum() == 0:
        return empty("No open exceptions for these filters")
    df = df.sort_values("exceptions")
    fig = go.Figure(go.Bar(
        x=df["exceptions"], y=df["queue"], orientation="h", text=df["exceptions"],
        textposition="outside", cliponaxis=False, marker_color=ACCENT,
        customdata=df[["sla_breaches"]],
        hovertemplate="%{y}<br>%{x:,} open, %{customdata[0]:,} past SLA<extra></extra>"))
    fig.update_xaxes(title="open exceptions (count)")
    fig.update_yaxes(title=None)
    return style(fig, "Open exceptions by queue")


def aging_by_cause(df: pd.DataFrame) -> go.Figure:
    """Open exceptions per age bucket, stacked by cause; from ``open_exceptions(by=[age_bucket, cause])``."""
    if df.empty or df["exceptions"].sum() == 0:
        return empty("No open exceptions for these filters")
    fig = px.bar(df, x="age_bucket", y="exceptions", color="cause",
                 category_orders={"age_bucket": list(AGE_BUCKETS),
                                  "cause": [c.value for c in Cause]},
                 color_discrete_map=CAUSE_COLORS,
                 labels={"age_bucket": "age since first seen (days)",
                         "exceptions": "open exceptions (count)", "cause": "cause"})
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    return style(fig, "Exception aging by cause")


def match_rate_trend(df: pd.DataFrame, names: dict[str, str] | None = None) -> go.Figure:
    """One line per entity of the match rate per period; from ``match_rate(by=[entity, period])``."""
    if df.empty:
        return empty("No records in scope for these filters")
    names = names or {}
    df = df.assign(label=[f"{e} · {names[e]}" if e in names else _entity_label(e)
                          for e in df["entity"]])
    fig = px.line(df.sort_values("period"), x="period", y="match_rate", color="label",
                  markers=True, custom_data=["matched", "records"],
                  color_discrete_sequence=SERIES_COLORS,
                  labels={"period": "period", "match_rate": "auto-match rate (count)",
                          "label": "entity"})
    fig.update_traces(hovertemplate="%{x}<br>%{y:.1%} matched "
                                    "(%{customdata[0]:,} of %{customdata[1]:,})<extra></extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(type="category")
    return style(fig, "Auto-match rate per entity and period")


def percentiles(df: pd.DataFrame, category: str, title: str, unit: str = "days") -> go.Figure:
    """Median and 95th percentile side by side per ``category``; from ``queries_latency``."""
    if df.empty:
        return empty("Nothing matched for these filters")
    fig = go.Figure()
    for column, name, color in (("p50", "median", ACCENT), ("p95", "95th percentile", "#8fa9c4")):
        fig.add_trace(go.Bar(
            x=df[category], y=df[column], name=name, marker_color=color,
            text=[f"{v:.1f}" for v in df[column]], textposition="outside", cliponaxis=False,
            customdata=df.iloc[:, 1], hovertemplate=f"%{{x}}<br>{name}: %{{y:.1f}} {unit} "
                                                    "(%{customdata:,} in all)<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=unit, rangemode="tozero")
    fig.update_xaxes(title=None, type="category")
    return style(fig, title)


def _entity_label(code) -> str:
    """An entity code as shown; records with no known company code are named as such."""
    return NO_ENTITY if code is None or (isinstance(code, float) and math.isnan(code)) else str(code)


def empty(message: str) -> go.Figure:
    """A blank figure that says why it is blank, instead of an empty frame of axes."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=14, color="#5c6770"),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, None)


def style(fig: go.Figure, title: str | None) -> go.Figure:
    """The house style. A legend sits at the very bottom of the figure, below the x-axis title,
    with room made for its rows, so the two never overlap."""
    entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    rows = math.ceil(entries / 3) if entries > 1 else 0
    fig.update_layout(
        template="plotly_white", font=FONT, height=340 + 22 * rows,
        title=dict(text=title, x=0, font_size=15),
        margin=dict(l=10, r=20, t=50 if title else 10, b=10 + 26 * rows), bargap=0.3,
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.01, x=0,
                    title=None),
        hoverlabel=dict(bgcolor="white"))
    return fig


# --- number formats -------------------------------------------------------------------------

def percent(rate: float | None) -> str:
    """``74.2%``, or a dash when the rate is undefined (nothing in scope)."""
    return NOTHING if _missing(rate) else f"{rate:.1%}"


def money(amount: float | None, currency: str | None) -> str:
    """``EUR 1,234.50``; ``JPY 1,234`` for zero-decimal currencies."""
    if _missing(amount) or not currency:
        return NOTHING
    decimals = 0 if currency in ZERO_DECIMAL else 2
    return f"{currency} {amount:,.{decimals}f}"


def count(value: float | None) -> str:
    return NOTHING if _missing(value) else f"{int(value):,}"


def days(value: float | None) -> str:
    """``8 days``, ``73.6 days``; a dash when there is nothing to age."""
    if _missing(value):
        return NOTHING
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown} day" if shown == "1" else f"{shown} days"


def timestamp(value: dt.datetime | None) -> str:
    """``2025-11-14 06:00 UTC`` whatever the server's time zone."""
    return NOTHING if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
