"""The lineage timeline: one transaction's hops across systems and stages, with the latency of
each hop. Pure function, no Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from app.charts import ACCENT, empty, style

LANES = ["bank", "erp", "billing", "procurement", "snapshot", "match", "exception", "workflow"]
LANE_COLORS = {"bank": "#1f4e79", "erp": "#2e8b8b", "billing": "#7d6b9e",
               "procurement": "#c9a227", "snapshot": "#8fa9c4", "match": "#2e8b8b",
               "exception": "#b03a2e", "workflow": "#5c6770"}


def latency(value) -> str:
    """``+2 d 4 h``, ``+35 min``; empty for the first hop."""
    if value is None or pd.isna(value):
        return ""
    seconds = int(pd.Timedelta(value).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"+{days} d {hours} h" if hours else f"+{days} d"
    if hours:
        return f"+{hours} h {rest // 60} min" if rest // 60 else f"+{hours} h"
    return f"+{rest // 60} min"


def timeline(hops: pd.DataFrame) -> go.Figure:
    """Hops on a time axis, one lane per system or stage, joined in time order; each hop is
    labelled with the time since the previous one. From ``queries_lineage.hops``."""
    if hops.empty:
        return empty("Nothing to place on a timeline")
    lanes = [lane for lane in LANES if lane in set(hops["lane"])] + sorted(
        set(hops["lane"]) - set(LANES))
    fig = go.Figure(go.Scatter(
        x=hops["at"], y=hops["lane"], mode="lines", line=dict(color="#c3ccd6", width=1.5),
        hoverinfo="skip", showlegend=False))
    labels = [latency(v) for v in hops["latency"]]
    # labels alternate above and below, so hops close in time do not write over each other
    fig.add_trace(go.Scatter(
        x=hops["at"], y=hops["lane"], mode="markers+text", text=labels,
        textposition=["top center" if i % 2 else "bottom center" for i in range(len(hops))],
        textfont=dict(size=11, color="#5c6770"),
        marker=dict(size=13, color=[LANE_COLORS.get(lane, ACCENT) for lane in hops["lane"]],
                    line=dict(color="white", width=1.5)),
        customdata=list(zip(hops["what"], labels, strict=True)), showlegend=False,
        hovertemplate="%{customdata[0]}<br>%{x|%Y-%m-%d %H:%M} UTC  %{customdata[1]}"
                      "<extra></extra>"))
    # room above the top lane and below the bottom one for the labels
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(lanes)), title=None,
                     range=[-0.6, len(lanes) - 0.3])
    fig.update_xaxes(title=None)
    fig = style(fig, "Timeline of the hops (time since the previous hop)")
    fig.update_layout(height=max(300, 90 + 55 * len(lanes)))
    return fig
