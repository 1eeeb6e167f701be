"""Shared sidebar filters, bound to the URL query string so a filtered view can be shared.

Each filter is a multiselect whose key is also its query parameter (``?workflow=a&workflow=b``);
Streamlit keeps the two in sync and drops values a run does not offer. Empty means "all".
By choice the options are shown as the codes themselves (no ``format_func``): a bound widget
writes its *displayed* labels to the URL, and a shared URL should carry codes.
"""

from __future__ import annotations

import streamlit as st

from app.queries import Filters

FILTERS = (("period", "Period"), ("entity", "Entity"), ("workflow", "Workflow"),
           ("cause", "Cause"), ("currency", "Currency"))
AMOUNT_CURRENCY_KEY = "amounts_in"


def sidebar(options: dict[str, list[str]], names: dict[str, str] | None = None) -> Filters:
    """Draw the filters in the sidebar and return the selection."""
    names = names or {}
    helps = {"entity": "; ".join(f"{code}: {name}" for code, name in sorted(names.items())),
             "period": "Accounting period of the transaction (YYYY-MM).",
             "cause": "Narrows exception figures only."}
    chosen: dict[str, tuple[str, ...]] = {}
    with st.sidebar:
        st.subheader("Filters")
        for key, label in FILTERS:
            chosen[key] = tuple(st.multiselect(
                label, options.get(key, []), key=key, bind="query-params", placeholder="All",
                help=helps.get(key) or None))
        st.caption("Empty means all. The address bar keeps the selection: copy it to share "
                   "this view.")
    return Filters(**chosen)


def amount_currency(currencies: list[str]) -> str | None:
    """The currency amount figures are shown in; asks only when several are in view.

    Amounts are never added across currencies, so with several in view the reader picks one
    (kept in the URL too); the default is the currency with the most records.
    """
    if len(currencies) <= 1:
        return currencies[0] if currencies else None
    return st.selectbox("Amounts in", currencies, key=AMOUNT_CURRENCY_KEY, bind="query-params",
                        help="Amounts are summed per currency, never across currencies. "
                             "Rates and counts cover every currency in view.")
