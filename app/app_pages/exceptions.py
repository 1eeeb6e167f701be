"""Exceptions: the controllers' work queue (SPEC §6, §9, §10).

Filter the queue, select exceptions, act on them (assign, route, resolve with a reason, reopen,
comment; one or many), read one exception's counterpart, candidates and audit trail, and export
exactly the filtered view as CSV or XLSX.
"""

from __future__ import annotations

import streamlit as st

from app import charts, data, session, ui
from app import exception_panels as panels
from app import queries_exceptions as q


def render() -> None:
    ctx = session.context()
    st.title("Exceptions")
    pub = ui.published_run(ctx)
    if pub is None:
        return
    ui.run_caption(pub)
    overlay = data.overlay(ctx.settings)
    queues = q.with_overlay_queues(
        data.cached(pub, q.queue_names, sorted(set(ctx.settings.queues.values()))), overlay)
    chosen = panels.queue_filters(queues, q.assignee_names(overlay))
    report = chosen.report(ctx.filters)
    totals = data.read(pub, q.totals, report, overlay)
    panels.flash()

    summary, exports = st.columns([3, 1], vertical_alignment="bottom")
    summary.markdown(f"**{charts.count(totals.exceptions)}** exceptions in this view · "
                     f"**{charts.count(totals.sla_breaches)}** open past their SLA · "
                     f"**{charts.count(totals.unassigned)}** unassigned")
    with exports:
        panels.export_buttons(pub, ctx, report, totals.exceptions)

    number, pages = panels.page_number(totals.exceptions)
    rows = data.read(pub, q.page, report, overlay, panels.PAGE_SIZE,
                     (number - 1) * panels.PAGE_SIZE)
    selected = panels.table(rows, ctx)
    left, right = st.columns([1, 2], vertical_alignment="center")
    with left:
        st.pagination(pages, key="xpage", width="content")
    first = (number - 1) * panels.PAGE_SIZE
    right.caption(f"Rows {first + 1 if len(rows) else 0:,}–{first + len(rows):,} of "
                  f"{totals.exceptions:,}. Select rows to act on them; select one to see it.")

    panels.action_form(ctx, selected, pub, report, overlay, totals.exceptions, queues)
    focus = selected["exception_id"].iloc[0] if len(selected) == 1 else st.query_params.get(
        "exception")
    if focus:
        st.divider()
        panels.detail(ctx, pub, focus, overlay)


render()
