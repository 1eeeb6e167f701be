"""Jobs: runs with status, duration, rows and errors; failures with their traceback; freshness
per source; and "Run now" for IT (SPEC §2, §7 job health, §9)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import charts, charts_ops, data, runner, session, ui
from app import queries_ops as qo
from app.session import Context
from jobs.workflow import NotAllowed

FAILURES_SHOWN = 10
RUN_COLUMNS = ["started_at", "status", "job", "trigger", "seconds", "rows_in", "rows_out",
               "attempt", "error", "as_of", "ended_at", "run_id"]


def render() -> None:
    ctx = session.context()
    st.title("Jobs")
    _run_now(ctx)
    pub = ui.published_run(ctx)
    if pub is None:
        return
    ui.run_caption(pub)
    ui.filters_ignored()
    runs = data.cached(pub, qo.runs)
    _tiles(data.cached(pub, qo.health))
    now = dt.datetime.now(dt.UTC)
    fresh = data.cached(pub, qo.freshness)
    left, right = st.columns(2)
    with left:
        ui.plot(charts_ops.freshness(fresh, now), "jobs_freshness")
    with right:
        ui.plot(charts_ops.run_durations(runs), "jobs_durations")
    _freshness_table(ctx, fresh, now)
    st.subheader("Runs")
    ui.table(runs, ctx.viewer, column_order=RUN_COLUMNS, column_config={
        "started_at": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
        "ended_at": st.column_config.DatetimeColumn("ended", format="YYYY-MM-DD HH:mm:ss"),
        "seconds": st.column_config.NumberColumn("duration (s)", format="%.1f"),
        "rows_in": "rows in", "rows_out": "rows out", "as_of": "as of", "run_id": "run",
        "error": st.column_config.TextColumn("error", width="large")})
    _failures(runs)


def _tiles(health: dict) -> None:
    row = st.columns(4)
    row[0].metric("Runs recorded", charts.count(health["runs"]), border=True)
    row[1].metric("Failed runs", charts.count(health["failed"]),
                  delta=f"{health['retries']:,} retried", delta_color="off", delta_arrow="off",
                  border=True)
    last = health["last_success"]
    row[2].metric("Last successful run", "—" if last is None else f"{last:%d %b %H:%M}",
                  delta=None if last is None else f"{last:%Y} · UTC", delta_color="off",
                  delta_arrow="off", border=True)
    row[3].metric("Replay success rate", charts.percent(health["replay_success_rate"]),
                  delta=f"{health['replays']:,} replays", delta_color="off", delta_arrow="off",
                  border=True)


def _freshness_table(ctx: Context, fresh: pd.DataFrame, now: dt.datetime) -> None:
    schedules = {name: (f"every {t.interval_minutes:g} min" if t.interval_minutes
                        else f"cron {t.cron}") for name, t in ctx.settings.schedules.items()}
    late = {name: dt.timedelta(minutes=t.interval_minutes + t.grace_minutes)
            for name, t in ctx.settings.schedules.items() if t.interval_minutes}
    rows = fresh.assign(
        schedule=[schedules.get(s, "—") for s in fresh["source_system"]],
        behind=[_late(s, t, now, late) for s, t in zip(fresh["source_system"], fresh["last_ok"],
                                                       strict=True)])
    ui.table(rows, ctx.viewer, column_config={
        "source_system": "source", "snapshots": "good snapshots", "records": "records read",
        "last_ok": st.column_config.DatetimeColumn("last good snapshot",
                                                   format="YYYY-MM-DD HH:mm"),
        "last_quarantined": st.column_config.DatetimeColumn("last quarantined",
                                                            format="YYYY-MM-DD HH:mm"),
        "behind": "behind schedule"})


def _late(source: str, last_ok, now: dt.datetime, late: dict) -> str:
    if last_ok is None or pd.isna(last_ok):
        return "no snapshot yet"
    if source not in late:
        return "—"
    lag = now - pd.Timestamp(last_ok).to_pydatetime()
    return "yes" if lag > late[source] else "no"


def _failures(runs: pd.DataFrame) -> None:
    failed = runs[runs["status"].isin(["failed", "interrupted"])].head(FAILURES_SHOWN)
    st.subheader("Failures")
    if failed.empty:
        st.caption("No failed run in the recorded history.")
        return
    for run in failed.itertuples():
        with st.expander(f":material/error: {charts.timestamp(run.started_at)} · {run.job} "
                         f"({run.trigger}) · {run.error or run.status}"):
            st.caption(f"Run `{run.run_id}`, attempt {run.attempt}")
            st.code(run.traceback or "no traceback recorded", language="python")


def _run_now(ctx: Context) -> None:
    """The Run now panel: who may, whether a run is going, and the last run's log."""
    viewer, home = ctx.viewer, ctx.settings.home
    busy = runner.status(home)
    last = runner.last_started(home)
    with st.container(border=True):
        text, button = st.columns([4, 1], vertical_alignment="center")
        if busy:
            text.markdown(f":material/sync: **A run is in progress**: {busy}.")
        elif not viewer.can_run_jobs:
            text.markdown(f":material/lock: Runs start on the worker's schedule. Only the IT "
                          f"role can start one now (you are acting as {viewer.role.value}).")
        else:
            text.markdown(f"Start one full cycle now (ingest, validate, match, publish) over "
                          f"`{ctx.settings.sources}`.")
        clicked = button.button("Run now", type="primary", icon=":material/play_arrow:",
                                key="run_now", disabled=bool(busy) or not viewer.can_run_jobs,
                                width="stretch")
        if clicked:
            _start(ctx)
        if last:
            code = runner.exit_code(last)
            state = "running" if busy and str(last.pid) in busy else (
                "finished" if code in (0, None) else f"failed (exit {code})")
            with st.expander(f"Last run started here: {last.started_at} by {last.actor}, "
                             f"{state}"):
                st.code(runner.log_tail(last) or "(no output yet)", language="text")


def _start(ctx: Context) -> None:
    try:
        started = runner.start(ctx.settings, ctx.viewer.role, ctx.viewer.actor)
    except NotAllowed as err:
        st.error(f"Not allowed: {err}.")
    except (runner.RunInProgress, FileNotFoundError) as err:
        st.warning(f"Not started: {err}.")
    else:
        st.success(f"Started run (process {started.pid}); the new figures appear on every page "
                   "once it is published.")


render()
