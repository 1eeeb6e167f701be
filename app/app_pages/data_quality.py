"""Data quality: expectation results per snapshot and their trend, the pass rate per source,
quarantined files and alerts (SPEC §2 step 3, §7, §9)."""

from __future__ import annotations

import streamlit as st

from app import charts, charts_ops, data, session, ui
from app import queries_ops as qo

DATA_DOCS = ("gx", "data_docs", "index.html")


def render() -> None:
    ctx = session.context()
    st.title("Data quality")
    pub = ui.published_run(ctx)
    if pub is None:
        return
    ui.run_caption(pub)
    ui.filters_ignored()
    by_source = data.cached(pub, qo.pass_rate_by_source)
    by_snapshot = data.cached(pub, qo.pass_rate_by_snapshot)
    quarantined = data.cached(pub, qo.quarantined)
    alerts = data.cached(pub, qo.alerts)
    _tiles(by_source, quarantined, alerts)
    _data_docs(ctx)
    left, right = st.columns(2)
    with left:
        ui.plot(charts_ops.pass_rate_by_source(by_source), "dq_sources")
    with right:
        ui.plot(charts_ops.pass_rate_trend(by_snapshot), "dq_trend")
    _results(ctx, pub)
    st.subheader("Quarantined files")
    if quarantined.empty:
        st.caption("No file was quarantined: every file was read.")
    else:
        ui.table(quarantined, ctx.viewer, column_config={
            "source_system": "source", "source": "file", "content_hash": "content hash",
            "quarantined_at": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm"),
            "reason": st.column_config.TextColumn("reason", width="large")})
    _alerts(ctx, pub, alerts)


def _tiles(by_source, quarantined, alerts) -> None:
    evaluated, passed = int(by_source["evaluated"].sum()), int(by_source["passed"].sum())
    row = st.columns(4)
    row[0].metric("Pass rate (all sources)", charts.percent(passed / evaluated if evaluated
                                                            else None),
                  help="Expectations passed ÷ evaluated, over every validated snapshot.",
                  border=True)
    row[1].metric("Snapshots validated", charts.count(by_source["snapshots"].sum()), border=True)
    row[2].metric("Critical expectations failed", charts.count(by_source["critical_failed"].sum()),
                  help="Records failing a critical expectation are kept out of matching and "
                       "become source_system_defect exceptions.", border=True)
    row[3].metric("Quarantined files", charts.count(len(quarantined)),
                  delta=None if alerts is None else f"{len(alerts):,} alerts",
                  delta_color="off", delta_arrow="off", border=True)


def _data_docs(ctx) -> None:
    docs = ctx.settings.home.joinpath(*DATA_DOCS)
    if docs.is_file():
        st.markdown(f":material/description: Great Expectations Data Docs: "
                    f"[open]({docs.resolve().as_uri()}) · `{docs.resolve()}` (a file on the "
                    "dashboard's machine)")


def _results(ctx, pub) -> None:
    st.subheader("Expectation results")
    failed_only, pick = st.columns([1, 2], vertical_alignment="bottom")
    only = failed_only.toggle("Failures only", value=True, key="dq_failed")
    snapshots = data.cached(pub, qo.snapshot_ids)
    snapshot = pick.selectbox("Snapshot", snapshots, index=None, key="dq_snapshot",
                              placeholder="every snapshot (newest first)")
    results = data.cached(pub, qo.expectation_results, snapshot, only)
    if results.empty:
        st.caption("No failed expectation." if only else "No expectation results.")
        return
    ui.table(results, ctx.viewer, column_config={
        "source_system": "source", "snapshot_id": "snapshot", "evaluated_count": "evaluated",
        "unexpected_count": "unexpected",
        "extracted_at": st.column_config.DatetimeColumn("snapshot taken",
                                                        format="YYYY-MM-DD HH:mm"),
        "success": st.column_config.CheckboxColumn("passed"),
        "sample_ids": st.column_config.TextColumn("sample ids", width="medium")})


def _alerts(ctx, pub, alerts) -> None:
    st.subheader("Alerts")
    if alerts is None:
        st.info("No data quality checks yet: this run has no alert table (volume, freshness "
                "and schema checks are published by newer runs).", icon=":material/info:")
        return
    if alerts.empty:
        st.caption("No alerts in this run.")
    else:
        ui.table(alerts, ctx.viewer)
    failures = data.cached(pub, qo.record_failures)
    if failures is not None and not failures.empty:
        st.subheader("Records that failed an expectation")
        ui.table(failures, ctx.viewer)


render()
