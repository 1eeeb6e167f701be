"""The Exceptions page's pieces: queue filters, the table with its selection, the action form,
and one exception's detail (counterpart, candidates, audit trail). Streamlit lives here; the SQL
is in ``queries_exceptions``, the rules of each action in ``actions`` and ``jobs.workflow``.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from app import actions, charts, data, ui
from app import queries_exceptions as q
from app.actions import Target
from app.data import Published
from app.exports import MIME
from app.session import Context
from jobs import export, workflow
from jobs.export import XLSX_MAX_ROWS
from jobs.workflow import Action

PAGE_SIZE = 50
TABLE_COLUMNS = ["exception_id", "status", "cause", "sub_cause", "workflow", "entity",
                 "source_system", "source_ref", "counterpart_ref", "currency", "amount",
                 "difference", "age_days", "sla_breach", "queue", "assignee", "first_seen"]
FLASH_KEY = "_exceptions_flash"
NONCE_KEY = "_exceptions_nonce"
SEEN_KEY = "_exceptions_seen"  # id -> workflow version shown on the previous screen
ACTION_LABELS = {Action.ASSIGN: "Assign", Action.ROUTE: "Route to queue",
                 Action.RESOLVE: "Resolve", Action.REOPEN: "Reopen", Action.COMMENT: "Comment"}
COLUMNS = {
    "exception_id": st.column_config.TextColumn("Exception", width="medium"),
    "status": "Status", "workflow": "Workflow", "cause": "Cause", "sub_cause": "Sub-cause",
    "entity": "Entity", "source_system": "System", "source_ref": "Reference",
    "counterpart_system": "Counterpart system", "counterpart_ref": "Counterpart",
    "currency": "Ccy", "amount": st.column_config.NumberColumn("Amount", format="accounting"),
    "difference": st.column_config.NumberColumn("Difference", format="accounting"),
    "first_seen": st.column_config.DateColumn("First seen"),
    "age_days": st.column_config.NumberColumn("Age (days)"),
    "sla_breach": st.column_config.CheckboxColumn("Past SLA"),
    "queue": "Queue", "assignee": "Assignee", "wf_version": None,
}


def queue_filters(queues: list[str], assignees: list[str]) -> q.QueueFilters:
    """The page's own filters, above the table, kept in the URL like the sidebar ones."""
    cols = st.columns([2, 2, 2, 2, 3], vertical_alignment="bottom")
    status = cols[0].multiselect("Status", q.STATUSES, default=["open"], key="status",
                                 bind="query-params", placeholder="All")
    queue = cols[1].multiselect("Queue", queues, key="queue", bind="query-params",
                                placeholder="All")
    assignee = cols[2].multiselect("Assignee", [export.UNASSIGNED, *assignees], key="assignee",
                                   bind="query-params", placeholder="Anyone")
    age = cols[3].multiselect("Age (days)", q.age_buckets(), key="age", bind="query-params",
                              placeholder="Any")
    search = cols[4].text_input("Find", key="find", bind="query-params",
                                placeholder="reference, exception or correlation id",
                                icon=":material/search:")
    return q.QueueFilters(queue=tuple(queue), status=tuple(status), assignee=tuple(assignee),
                          age_bucket=tuple(age), search=search or "")


def flash() -> None:
    """The outcome of the last action (it happened on the previous run)."""
    outcome = st.session_state.pop(FLASH_KEY, None)
    if outcome is not None:
        {"success": st.success, "warning": st.warning, "error": st.error}[outcome.level](
            outcome.message)


def page_number(total: int) -> tuple[int, int]:
    """The page to show and how many there are; back to the first when the view shrinks."""
    pages = max(1, -(-total // PAGE_SIZE))
    if st.session_state.get("xpage", 1) > pages:
        st.session_state["xpage"] = 1
    return st.session_state.get("xpage", 1), pages


def table(rows: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The page of exceptions with row selection; returns the selected rows, each with the
    workflow version the user saw on the previous screen (``seen_version``).

    The selection is keyed on the exceptions shown, so when the rows change (another page, a
    filter, someone's action removing a row) a stale selection is dropped instead of pointing
    at other exceptions. Versions are not part of the key: an exception changed by someone else
    stays selected, and acting on it is refused as a conflict (``jobs.workflow``).
    """
    seen = st.session_state.get(SEEN_KEY, {})
    digest = hashlib.sha1(json.dumps([rows["exception_id"].tolist(),
                                      st.session_state.get(NONCE_KEY, 0)]).encode())
    event = st.dataframe(ui.masked(rows, ctx.viewer), hide_index=True, column_config=COLUMNS,
                         column_order=TABLE_COLUMNS,
                         key=f"xtable-{digest.hexdigest()[:10]}", on_select="rerun",
                         selection_mode="multi-row", height=min(38 + 35 * max(len(rows), 3), 640))
    st.session_state[SEEN_KEY] = dict(zip(rows["exception_id"], rows["wf_version"].astype(int),
                                          strict=True))
    selected = rows.iloc[list(event.selection.rows)] if len(rows) else rows
    return selected.assign(seen_version=[seen.get(x, v) for x, v in zip(
        selected["exception_id"], selected["wf_version"].astype(int), strict=True)])


def export_buttons(pub: Published, ctx: Context, report: dict, total: int) -> None:
    """CSV and XLSX of exactly the filtered view (every page of it), made on click."""
    mask = not ctx.viewer.sees_accounts
    left, right = st.columns(2)
    for column, fmt, label in ((left, "csv", "CSV"), (right, "xlsx", "Excel")):
        column.download_button(
            label, data.exception_export(pub, ctx.settings, report, fmt, mask),
            file_name=f"exceptions_{pub.run.run_id}.{fmt}", mime=MIME[fmt],
            key=f"export_{fmt}", icon=":material/download:", on_click="ignore",
            disabled=total == 0 or (fmt == "xlsx" and total > XLSX_MAX_ROWS), width="stretch",
            help=(f"{total:,} rows do not fit in one worksheet: filter further or export CSV."
                  if fmt == "xlsx" and total > XLSX_MAX_ROWS else
                  f"All {total:,} exceptions of this view, with the report's columns "
                  "(the same file as `recon export`)."))


def action_form(ctx: Context, selected: pd.DataFrame, pub: Published, report: dict,
                overlay, total: int, queues: list[str]) -> None:
    """Assign, route, resolve, reopen or comment: on the selected rows or the whole view."""
    viewer = ctx.viewer
    if not viewer.can_comment:
        st.caption(f":material/visibility: Read-only: the {viewer.role.value} role does not "
                   "change exceptions.")
        return
    allowed = [a for a in ACTION_LABELS if workflow.can(viewer.role, a)]
    with st.container(border=True):
        scope = "selection"
        if viewer.can_act and total:
            scope = st.segmented_control(
                "Act on", ["selection", "view"], required=True, default="selection",
                key="act_scope", format_func=lambda s: f"{len(selected)} selected" if
                s == "selection" else f"all {total:,} in this view")
        targets = _targets(selected) if scope == "selection" else _all_targets(pub, report,
                                                                                overlay)
        _form(ctx, allowed, targets, queues)


def _targets(rows: pd.DataFrame) -> dict[str, Target]:
    """The selected exceptions at the version the user saw them."""
    return {r.exception_id: Target(int(r.seen_version), r.status) for r in rows.itertuples()}


def _all_targets(pub: Published, report: dict, overlay) -> dict[str, Target]:
    """Every exception of the view, at its current version (nobody saw each one)."""
    return {x: Target(int(v), status) for x, (v, status) in
            data.read(pub, q.versions, report, overlay).items()}


def _form(ctx: Context, allowed: list[Action], targets: dict[str, Target],
          queues: list[str]) -> None:
    action = st.segmented_control("Action", allowed, format_func=lambda a: ACTION_LABELS[a],
                                  default=allowed[0], required=True, key="act_action")
    action = Action(action or allowed[0])
    values: dict[str, str | None] = {}
    with st.form("act", border=False, enter_to_submit=False):
        if action == Action.ASSIGN:
            left, right = st.columns(2)
            values["assignee"] = left.text_input("Assign to", key="act_assignee",
                                                 placeholder="name or e-mail")
            values["queue"] = right.selectbox("Queue (optional)", queues, index=None,
                                              key="act_queue", placeholder="keep the queue")
        elif action == Action.ROUTE:
            values["queue"] = st.selectbox("Queue", queues, index=None, key="act_queue",
                                           placeholder="choose a queue")
        elif action == Action.RESOLVE:
            values["reason"] = st.selectbox("Resolution reason", actions.RESOLUTION_REASONS,
                                            index=None, key="act_reason",
                                            placeholder="why it is resolved")
        values["comment"] = st.text_area(
            "Comment" if action == Action.COMMENT else "Comment (optional)", key="act_comment",
            height=68, placeholder="a note for the audit trail") or None
        shown = ", ".join(list(targets)[:3]) + (" …" if len(targets) > 3 else "")
        st.caption(f"Applies to {len(targets):,} exception(s): {shown or 'none selected'}")
        if st.form_submit_button(ACTION_LABELS[action], type="primary", key="act_apply",
                                 disabled=not targets):
            outcome = actions.apply(data.store(ctx.settings), ctx.viewer, action, targets,
                                    **values)
            st.session_state[FLASH_KEY] = outcome
            if outcome.ok:
                st.session_state[NONCE_KEY] = st.session_state.get(NONCE_KEY, 0) + 1
            st.rerun()


def detail(ctx: Context, pub: Published, exception_id: str, overlay) -> None:
    """One exception: its fields, its counterpart and candidates, and its audit trail."""
    row = data.read(pub, q.detail, exception_id, overlay)
    if row is None:
        st.info(f"Exception `{exception_id}` is not in this run.")
        return
    st.subheader(f"Exception {exception_id}")
    facts = st.columns(4)
    facts[0].metric("Cause", row["cause"], delta=row.get("sub_cause") or None,
                    delta_color="off", delta_arrow="off")
    facts[1].metric("Amount", charts.money(row.get("amount"), row.get("currency")),
                    delta=_difference(row), delta_color="off", delta_arrow="off")
    facts[2].metric("Status", row["status"], delta=f"queue {row.get('queue') or '—'}",
                    delta_color="off", delta_arrow="off")
    facts[3].metric("Age", charts.days(row.get("age_days")),
                    delta=f"first seen {pd.Timestamp(row['first_seen']):%Y-%m-%d}",
                    delta_color="off", delta_arrow="off")
    if isinstance(row.get("detail"), str):
        st.caption(ui.masked(pd.DataFrame({"d": [row["detail"]]}), ctx.viewer)["d"][0])
    st.page_link("app_pages/lineage.py", label="Trace in Lineage", icon=":material/account_tree:",
                 query_params={"id": row["source_ref"]})
    st.markdown("**Counterpart and candidates**")
    ui.table(data.read(pub, q.related, row), ctx.viewer, column_config={
        "amount": st.column_config.NumberColumn("amount", format="localized"),
        "raw": st.column_config.JsonColumn("raw payload", width="large")})
    st.markdown("**Audit trail**")
    _trail(ctx, exception_id)


def _trail(ctx: Context, exception_id: str) -> None:
    events = workflow.history(data.store(ctx.settings), exception_id)
    if not events:
        st.caption("No workflow actions yet: the state is the published one.")
        return
    ui.table(pd.DataFrame([{"when": charts.timestamp(e.at), "action": e.action,
                            "who": e.actor, "role": e.role, "assignee": e.assignee,
                            "queue": e.queue, "reason": e.reason, "comment": e.comment}
                           for e in events]), ctx.viewer)


def _difference(row: dict) -> str | None:
    diff = row.get("difference")
    if diff is None or pd.isna(diff):
        return None
    return "difference " + charts.money(diff, row.get("currency"))
