"""Close review: one period, for the executives' close meeting (SPEC §1, §7, §9).

Is the close on track: what is unreconciled per entity against the close deadline, the top
causes, the trend against previous periods; and the whole page as a self-contained HTML pack.
"""

from __future__ import annotations

import streamlit as st

from app import charts, charts_close, data, report, session, ui
from app import queries_close as qc
from app.data import Published
from app.session import Context

STATUS_BADGE = {"closed": ("green", ":material/check_circle:"),
                "on track": ("blue", ":material/schedule:"),
                "at risk": ("orange", ":material/warning:"), "late": ("red", ":material/error:")}


def render() -> None:
    ctx = session.context()
    st.title("Close review")
    pub = ui.published_run(ctx)
    if pub is None:
        return
    periods = data.cached(pub, qc.periods)
    if not periods:
        st.info("No records in scope yet, so there is no period to review.")
        return
    pick, note = st.columns([1, 3], vertical_alignment="bottom")
    period = pick.selectbox("Close period", periods, index=_default(periods, pub, ctx),
                            key="close", bind="query-params")
    close = qc.close_period(period, pub.run.as_of)
    note.caption(f"{close.start:%d %b} – {close.end:%d %b %Y} · close due "
                 f"{close.deadline:%a %d %b %Y} ({qc.CLOSE_BUSINESS_DAYS} working days after "
                 f"the period end) · figures as of {pub.run.as_of:%Y-%m-%d}, run "
                 f"`{pub.run.run_id}`")
    view = _figures(ctx, pub, close)
    _headline(view)
    _tiles(view)
    left, right = st.columns(2)
    with left:
        ui.plot(view["figures"][0], "close_entities")
    with right:
        ui.plot(view["figures"][1], "close_causes")
    ui.plot(view["figures"][2], "close_trend")
    st.markdown("**Unreconciled amount per entity and currency** (never added across "
                "currencies)")
    ui.table(view["amounts"], ctx.viewer, column_config={
        "entity": "Entity", "currency": "Currency", "records": "Records", "matched": "Matched",
        "match_rate": st.column_config.NumberColumn("Auto-match rate", format="percent"),
        "open_items": "Unreconciled items", "sla_breaches": "Past SLA",
        "open_amount": st.column_config.NumberColumn("Unreconciled amount (absolute)",
                                                     format="localized")})
    _download(ctx, pub, close, view)


def _default(periods: list[str], pub: Published, ctx: Context) -> int:
    """The shared period filter if it names one period, else the latest period already ended."""
    if len(ctx.filters.period) == 1 and ctx.filters.period[0] in periods:
        return periods.index(ctx.filters.period[0])
    ended = [p for p in periods if qc.close_period(p, pub.run.as_of).end < pub.run.as_of]
    return periods.index(ended[0]) if ended else 0


def _figures(ctx: Context, pub: Published, close: qc.ClosePeriod) -> dict:
    overlay = data.overlay(ctx.settings)
    amounts = data.read(pub, qc.by_entity, close.period, ctx.filters, overlay)
    status = qc.entity_status(amounts, close)
    causes = data.read(pub, qc.top_causes, close.period, ctx.filters, overlay)
    trend = data.read(pub, qc.trend, close.period, ctx.filters, overlay)
    return {"close": close, "amounts": amounts, "status": status, "causes": causes,
            "trend": trend, "cutoff": data.cached(pub, qc.cutoff_matches, close.period),
            "figures": [charts_close.open_by_entity(status, ctx.names),
                        charts_close.top_causes(causes), charts_close.trend(trend, close.period)]}


def _summary(view: dict) -> tuple[str, str]:
    """The overall state (the worst entity's) and one sentence saying it."""
    close, status = view["close"], view["status"]
    items = int(status["open_items"].sum()) if len(status) else 0
    order = ["late", "at risk", "on track", "closed"]
    worst = next((s for s in order if s in set(status["status"])), "closed")
    when = (f"due in {close.days_left} days" if close.days_left > 0 else "due today"
            if close.days_left == 0 else f"{-close.days_left} days past the deadline")
    late = ", ".join(status.loc[status["status"].isin(["late", "at risk"]), "entity"].astype(str))
    text = (f"Close of {close.period}: {worst}. {items:,} items unreconciled across "
            f"{int((status['open_items'] > 0).sum())} entities; {when} "
            f"({close.deadline:%Y-%m-%d}).") + (f" Needs attention: {late}." if late else "")
    return worst, text


def _headline(view: dict) -> None:
    """The answer first, as a coloured badge (a business state, not an application error)."""
    worst, text = _summary(view)
    color, icon = STATUS_BADGE[worst]
    with st.container(border=True):
        st.markdown(f"#### :{color}-badge[{icon} {worst.capitalize()}] {text.split(': ', 1)[0]}")
        st.markdown(text.split(". ", 1)[1] if ". " in text else text)


def _tile_values(view: dict) -> dict[str, tuple[str, str | None]]:
    trend, period = view["trend"], view["close"].period
    now = trend[trend["period"] == period]
    before = trend[trend["period"] == qc.previous(period)]
    rate = now["match_rate"].iloc[0] if len(now) else None
    items = int(view["status"]["open_items"].sum()) if len(view["status"]) else 0
    prev_rate = before["match_rate"].iloc[0] if len(before) else None
    prev_items = int(before["open_items"].iloc[0]) if len(before) else None
    rate_delta = (_delta((rate - prev_rate) * 100, "{:+.1f} pts", qc.previous(period))
                  if rate is not None and prev_rate is not None else None)
    items_delta = (_delta(items - prev_items, "{:+,}", qc.previous(period))
                   if prev_items is not None else None)
    return {"Auto-match rate": (charts.percent(rate), rate_delta),
            "Unreconciled items": (charts.count(items), items_delta),
            "Past SLA": (charts.count(view["status"]["sla_breaches"].sum()), None),
            "Cut-off matches": (charts.count(view["cutoff"]), None)}


def _delta(change: float, fmt: str, before: str) -> str:
    """``+4.6 pts vs 2025-09``; ``no change vs 2025-09`` rather than a coloured ``+0``."""
    if abs(change) < 0.05:
        return f"no change vs {before}"
    return f"{fmt.format(change)} vs {before}"


def _tiles(view: dict) -> None:
    for column, (label, (value, delta)) in zip(st.columns(4), _tile_values(view).items(),
                                               strict=True):
        color = "inverse" if label != "Auto-match rate" else "normal"
        column.metric(label, value, delta=delta, border=True,
                      delta_color="off" if delta and delta.startswith("no change") else color,
                      delta_arrow="off" if delta and delta.startswith("no change") else "auto")


def _download(ctx: Context, pub: Published, close: qc.ClosePeriod, view: dict) -> None:
    _, text = _summary(view)
    tiles = {k: v for k, (v, _) in _tile_values(view).items()}
    masked = {k: ui.masked(view[k], ctx.viewer) for k in ("status", "amounts", "causes", "trend")}

    def pack() -> bytes:
        return report.close_report(close, pub.run, text, tiles, masked["status"],
                                   masked["amounts"], masked["causes"], masked["trend"],
                                   view["figures"], ctx.names).encode("utf-8")
    st.download_button("Download the close pack (HTML)", pack, key="close_pack",
                       file_name=f"close-review-{close.period}.html", mime="text/html",
                       icon=":material/download:", on_click="ignore", type="primary",
                       help="One self-contained HTML file with these tables and charts, to mail "
                            "or archive; it opens offline.")


render()
