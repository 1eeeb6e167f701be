"""Small Streamlit pieces every page uses: the empty state, the run caption, charts and tables
(with account numbers masked for roles that may not see them)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import charts, privacy
from app.access import Viewer
from app.data import Published
from app.session import Context

EMPTY_STATE = """**Nothing has been published yet.**

The dashboard shows the results of the latest reconciliation run, and no run has been
published in `{home}` so far. Run `recon run --sources DIR` on a source folder, or `make demo` to
simulate a company and reconcile it. The figures appear here as soon as the run is published."""
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def published_run(ctx: Context) -> Published | None:
    """The run to show, or None after saying how to publish one."""
    if ctx.pub is None:
        st.info(EMPTY_STATE.format(home=ctx.settings.home.resolve()), icon=":material/inbox:")
    return ctx.pub


def run_caption(pub: Published, extra: str = "") -> None:
    st.caption(f"Run `{pub.run.run_id}` · published {charts.timestamp(pub.run.published_at)} "
               f"· figures as of {pub.run.as_of:%Y-%m-%d}{extra}")


def filters_ignored() -> None:
    st.caption("The sidebar filters do not apply to this page.")


def plot(figure: go.Figure, key: str) -> None:
    st.plotly_chart(figure, key=key, theme=None, config=PLOT_CONFIG)


def masked(frame: pd.DataFrame, viewer: Viewer, raw_columns: tuple[str, ...] = ("raw",)
           ) -> pd.DataFrame:
    """``frame`` as ``viewer`` may see it: IBANs in text masked, raw payloads masked by key."""
    if viewer.sees_accounts or frame.empty:
        return frame
    out = privacy.mask_frame(frame, [c for c in frame.columns if c not in raw_columns and (
        frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))])
    for column in raw_columns:
        if column in out.columns:
            out[column] = out[column].map(
                lambda v: privacy.mask_raw(v) if isinstance(v, str) else v)
    return out


def table(frame: pd.DataFrame, viewer: Viewer, **kwargs) -> None:
    """A read-only table, masked for the viewer, without the index."""
    st.dataframe(masked(frame, viewer), hide_index=True, **kwargs)
