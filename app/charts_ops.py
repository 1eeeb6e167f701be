"""Plotly figures for the Data quality and Jobs pages: pure functions, no Streamlit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from app.charts import ACCENT, SERIES_COLORS, empty, style

STATUS_COLORS = {"success": "#2e8b8b", "published": "#2e8b8b", "failed": "#b03a2e",
                 "running": "#c9a227", "interrupted": "#d4813a"}
SYSTEM_ORDER = ["bank", "erp", "billing", "procurement", "reference"]


def pass_rate_by_source(df: pd.DataFrame) -> go.Figure:
    """Bar per source of expectations passed ÷ evaluated; from ``pass_rate_by_source``."""
    if df.empty:
        return empty("No expectation results in this run")
    fig = go.Figure(go.Bar(
        x=df["source_system"], y=df["pass_rate"], marker_color=ACCENT,
        text=[f"{r:.1%}" for r in df["pass_rate"]], textposition="outside", cliponaxis=False,
        customdata=df[["passed", "evaluated", "snapshots"]],
        hovertemplate="%{x}<br>%{y:.1%} passed (%{customdata[0]:,} of %{customdata[1]:,} "
                      "expectations, %{customdata[2]:,} snapshots)<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.12], title="pass rate")
    fig.update_xaxes(title=None)
    return style(fig, "Data-quality pass rate per source")


def pass_rate_trend(df: pd.DataFrame) -> go.Figure:
    """One line per source of the pass rate per snapshot; from ``pass_rate_by_snapshot``.

    Snapshots taken within one hour (one ingest of a whole folder) are spread by their order
    instead, so the lines stay readable.
    """
    if df.empty:
        return empty("No expectation results in this run")
    df = df.sort_values("extracted_at")
    span = pd.Timestamp(df["extracted_at"].max()) - pd.Timestamp(df["extracted_at"].min())
    x, label = "extracted_at", "snapshot taken"
    if span < pd.Timedelta(hours=1):
        df = df.assign(order=df.groupby("source_system").cumcount() + 1)
        x, label = "order", "snapshot (in the order taken)"
    fig = px.line(df, x=x, y="pass_rate", color="source_system", markers=True,
                  category_orders={"source_system": SYSTEM_ORDER},
                  color_discrete_sequence=SERIES_COLORS,
                  custom_data=["snapshot_id", "passed", "evaluated", "unexpected"],
                  labels={x: label, "pass_rate": "pass rate", "source_system": "source"})
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{y:.1%} passed (%{customdata[1]} of "
                                    "%{customdata[2]}), %{customdata[3]:,} unexpected values"
                                    "<extra></extra>")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return style(fig, "Pass rate per snapshot")


def run_durations(df: pd.DataFrame) -> go.Figure:
    """Duration of each job run over time, coloured by status; from ``runs``."""
    df = df.dropna(subset=["seconds"])
    if df.empty:
        return empty("No finished job runs recorded yet")
    fig = px.bar(df.sort_values("started_at"), x="started_at", y="seconds", color="status",
                 color_discrete_map=STATUS_COLORS, custom_data=["run_id", "trigger", "rows_in"],
                 labels={"started_at": "started", "seconds": "duration (s)", "status": "status"})
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>%{y:.1f} s, "
                                    "%{customdata[2]:,} rows in<extra></extra>")
    return style(fig, "Job runs: duration and status")


def freshness(df: pd.DataFrame, now: dt.datetime) -> go.Figure:
    """Time since each source's last good snapshot, in the unit the oldest needs; from
    ``freshness``."""
    df = df.dropna(subset=["last_ok"])
    if df.empty:
        return empty("No snapshots yet")
    hours = [(now - pd.Timestamp(t).to_pydatetime()).total_seconds() / 3600 for t in df["last_ok"]]
    unit, scale = (("days", 24) if max(hours) >= 48 else ("hours", 1) if max(hours) >= 1
                   else ("minutes", 1 / 60))
    fig = go.Figure(go.Bar(
        x=[h / scale for h in hours], y=df["source_system"], orientation="h",
        marker_color=ACCENT, text=[_age(h) for h in hours], textposition="auto",
        insidetextanchor="end", hovertemplate="%{y}: last good snapshot %{text} ago<extra></extra>"))
    fig.update_xaxes(title=f"{unit} since the last good snapshot", rangemode="tozero")
    fig.update_yaxes(title=None, categoryorder="array",
                     categoryarray=[s for s in reversed(SYSTEM_ORDER)])
    return style(fig, "Feed freshness")


def _age(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
