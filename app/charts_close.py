"""Plotly figures for the Close review page and its report: pure functions, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app import charts
from app.charts import ACCENT, empty, style

STATUS_COLORS = {"closed": "#2e8b8b", "on track": "#4f7cac", "at risk": "#c9a227",
                 "late": "#b03a2e"}


def open_by_entity(status: pd.DataFrame, names: dict[str, str] | None = None) -> go.Figure:
    """Unreconciled items per entity, coloured by where its close stands; from
    ``entity_status``."""
    if status.empty:
        return empty("Nothing in scope for this period")
    names = names or {}
    labels = [f"{e} · {names[e]}" if e in names else str(e) for e in status["entity"]]
    fig = go.Figure(go.Bar(
        x=labels, y=status["open_items"], text=status["open_items"], textposition="outside",
        cliponaxis=False, marker_color=[STATUS_COLORS.get(s, ACCENT) for s in status["status"]],
        customdata=status[["status", "sla_breaches"]],
        hovertemplate="%{x}<br>%{y:,} unreconciled, %{customdata[1]:,} past SLA<br>"
                      "close: %{customdata[0]}<extra></extra>"))
    fig.update_yaxes(title="unreconciled items", rangemode="tozero")
    fig.update_xaxes(title=None)
    return style(fig, "Unreconciled items per entity")


def top_causes(causes: pd.DataFrame) -> go.Figure:
    """Open items of the period per cause, in the causes' fixed colours."""
    frame = causes.rename(columns={"items": "exceptions"})
    fig = charts.exceptions_by_cause(frame).update_layout(
        title_text="Top causes of unreconciled items")
    return fig.update_xaxes(title="unreconciled items")


def trend(df: pd.DataFrame, period: str) -> go.Figure:
    """Match rate (line) and items still open (bars) per period; the reviewed one highlighted."""
    if df.empty:
        return empty("No earlier periods to compare with")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colors = [ACCENT if p == period else "#b8c7d9" for p in df["period"]]
    fig.add_trace(go.Bar(x=df["period"], y=df["open_items"], name="still open",
                         marker_color=colors,
                         hovertemplate="%{x}: %{y:,} items still open<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=df["period"], y=df["match_rate"], name="auto-match rate",
                             mode="lines+markers", line=dict(color="#2e8b8b", width=2),
                             hovertemplate="%{x}: %{y:.1%} matched<extra></extra>"),
                  secondary_y=True)
    fig.update_yaxes(title_text="items still open", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="auto-match rate", tickformat=".0%", range=[0, 1.05],
                     dtick=0.25, secondary_y=True, showgrid=False)
    fig.update_xaxes(type="category", title=None)
    return style(fig, "Trend against previous periods")
