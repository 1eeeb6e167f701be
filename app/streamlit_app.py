"""Dashboard entrypoint: page setup, navigation, and the guard that keeps tracebacks off screen.

Run with ``streamlit run app/streamlit_app.py`` (``recon app`` sets the address and port).
Only pages that exist are registered; each lives in ``app_pages/``.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.navigation.page import Page

from jobs.settings import ConfigError

log = logging.getLogger("recon.app")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:",
            url_path="overview", default=True),
]


def run_page(page: Page) -> None:
    """Run the selected page; an unexpected error becomes a short message and a logged traceback."""
    try:
        page.run()
    except ConfigError as err:
        st.error(f"The configuration has a problem:\n\n{err}", icon=":material/settings:")
    except Exception:  # by choice: a page never shows a traceback (SPEC §9)
        log.exception("page %r failed", page.title)
        st.error("This page could not be shown because of an unexpected error. The details are "
                 "in the dashboard's log; reloading may help if a run was being published.",
                 icon=":material/error:")


st.set_page_config(page_title="recon", page_icon=":material/balance:", layout="wide")
run_page(st.navigation(PAGES))
