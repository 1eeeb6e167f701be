"""Lineage: search any identifier and follow the transaction across systems (SPEC §8).

Each record with its raw payload, the snapshot and file it came from, its validation outcomes,
its match group and rule, the exception and its workflow events; and a timeline of the hops with
the time between each.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app import charts, charts_lineage, data, privacy, session, ui
from app import queries_lineage as ql
from app.session import Context
from jobs import workflow

EXAMPLES = ("bank reference", "end-to-end id", "invoice number", "Stripe id", "PO number",
            "ERP document number", "correlation id")


def render() -> None:
    ctx = session.context()
    st.title("Lineage")
    pub = ui.published_run(ctx)
    if pub is None:
        return
    ui.run_caption(pub, " · the sidebar filters do not apply here")
    text = st.text_input("Identifier", key="id", bind="query-params", icon=":material/search:",
                         placeholder="any identifier: " + ", ".join(EXAMPLES),
                         help="Case, spaces and punctuation are ignored: PAY-1 finds PAY1.")
    if not (text or "").strip():
        st.caption("Type an identifier from any system to see the whole chain.")
        return
    seeds = data.cached(pub, ql.find, text)
    if not seeds:
        st.info(f"No record in this run has the identifier **{text}**.", icon=":material/search_off:")
        return
    ids = data.cached(pub, ql.chain, seeds)
    recs = data.cached(pub, ql.records, ids)
    excs = data.cached(pub, ql.exceptions, ids)
    events = _events(ctx, excs)
    _summary(recs, excs, seeds, ids)
    hops = ql.hops(recs, excs, events)
    ui.plot(charts_lineage.timeline(hops), "lineage_timeline")
    with st.expander("Hops as a table"):
        ui.table(hops.assign(at=[charts.timestamp(t) for t in hops["at"]],
                             latency=[charts_lineage.latency(v) for v in hops["latency"]]),
                 ctx.viewer)
    _exceptions(ctx, excs, events)
    st.subheader("Records")
    checks = data.cached(pub, ql.validations, tuple(recs["snapshot_id"].dropna().unique()), ids)
    for rec in recs.to_dict("records"):
        _record(ctx, rec, checks, expanded=len(recs) <= 2)


def _events(ctx: Context, excs: pd.DataFrame) -> list[dict]:
    store = data.store(ctx.settings)
    return [{"exception_id": x, "at": e.at, "action": e.action, "actor": e.actor,
             "role": e.role, "assignee": e.assignee, "queue": e.queue, "reason": e.reason,
             "comment": e.comment}
            for x in excs["exception_id"] for e in workflow.history(store, x)]


def _summary(recs: pd.DataFrame, excs: pd.DataFrame, seeds: list[str], ids: list[str]) -> None:
    systems = ", ".join(sorted(recs["source_system"].dropna().unique()))
    matches = recs["match_id"].dropna().nunique()
    found = f"{len(seeds)} record{'s' if len(seeds) != 1 else ''} found"
    more = f" ({ql.LIMIT} shown at most)" if len(ids) >= ql.LIMIT else ""
    st.markdown(f"{found}; the chain has **{len(recs)}** records in {systems}{more}, "
                f"**{matches}** match group{'s' if matches != 1 else ''} and "
                f"**{len(excs)}** exception{'s' if len(excs) != 1 else ''}.")


def _exceptions(ctx: Context, excs: pd.DataFrame, events: list[dict]) -> None:
    if excs.empty:
        return
    st.subheader("Exceptions and their workflow")
    ui.table(excs, ctx.viewer)
    for x in excs["exception_id"]:
        st.page_link("app_pages/exceptions.py", label=f"Open {x} in the exception queue",
                     icon=":material/rule:",
                     query_params={"exception": x, "status": ["open", "resolved",
                                                              "auto_resolved"]})
    if events:
        ui.table(pd.DataFrame(events).assign(at=lambda f: [charts.timestamp(t) for t in f["at"]]),
                 ctx.viewer)


def _record(ctx: Context, rec: dict, checks: pd.DataFrame, expanded: bool) -> None:
    amount = charts.money(rec.get("amount"), rec.get("currency"))
    title = (f"**{rec['source_system']}** `{rec['source_ref']}` · {amount} · "
             f"{_date(rec.get('event_date'))}")
    with st.expander(title, expanded=expanded):
        facts = st.columns(3)
        facts[0].markdown(f"**Origin**  \nsnapshot `{rec.get('snapshot_id')}`  \n"
                          f"file `{rec.get('source_file')}` #{rec.get('source_position')}  \n"
                          f"extracted {charts.timestamp(_ts(rec.get('extracted_at')))}")
        facts[1].markdown(_match_text(rec))
        facts[2].markdown(f"**Identity**  \nrecord `{rec['record_id']}`  \n"
                          f"workflow {rec.get('workflow')} · entity {rec.get('entity')}  \n"
                          f"correlation `{rec.get('correlation_id') or '—'}`")
        mine = checks[checks["snapshot_id"] == rec.get("snapshot_id")]
        if not mine.empty:
            failed = mine[~mine["success"]]
            st.caption(f"Validation of its snapshot: {len(mine) - len(failed)} of {len(mine)} "
                       "expectations passed" + (f"; failed: {', '.join(failed['expectation'])}"
                                                if len(failed) else ""))
            if mine["flags_record"].any():
                st.warning("This record is among the failing samples of an expectation.")
        st.json(_payload(rec.get("raw"), ctx), expanded=2)


def _match_text(rec: dict) -> str:
    if rec.get("match_id") and not pd.isna(rec.get("match_id")):
        confidence = rec.get("confidence")
        shown = (f" · confidence {confidence:.0%}" if confidence is not None
                 and pd.notna(confidence) else "")
        return (f"**Matched**  \ngroup `{rec['match_id']}`  \nrule {rec.get('rule')}{shown}  \n"
                f"at {charts.timestamp(_ts(rec.get('matched_at')))}")
    if rec.get("exception_id") and not pd.isna(rec.get("exception_id")):
        return f"**Exception**  \n`{rec['exception_id']}`"
    return "**Not matched**"


def _payload(raw, ctx: Context):
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return {"raw payload": "not kept for this record"}
    shown = raw if ctx.viewer.sees_accounts else privacy.mask_raw(raw)
    try:
        return json.loads(shown)
    except ValueError:
        return {"raw payload": shown}


def _date(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _ts(value):
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


render()
