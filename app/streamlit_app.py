"""Dashboard entrypoint: page setup, who is looking, navigation per role, and the guard that keeps
tracebacks off screen.

Run with ``streamlit run app/streamlit_app.py`` (``recon app`` sets the address and port).
The entrypoint draws what every page shares (role, filters) so it survives moving between pages;
each page lives in ``app_pages/`` and reads that shared state through ``app.session``.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from app import data, session
from app.access import AccessError, Viewer
from jobs.settings import ConfigError, Settings
from jobs.workflow import Role

log = logging.getLogger("recon.app")
# By choice slightly smaller metric values than Streamlit's default, so amounts with their
# currency and timestamps fit a tile in a row of four; and less empty space above the title.
CSS = ("<style>[data-testid='stMetricValue'] { font-size: 1.6rem; }"
       "[data-testid='stMainBlockContainer'] { padding-top: 3rem !important; }</style>")

PAGES = {  # key: (file, title, icon)
    "overview": ("app_pages/overview.py", "Overview", ":material/dashboard:"),
    "close": ("app_pages/close_review.py", "Close review", ":material/event_available:"),
    "exceptions": ("app_pages/exceptions.py", "Exceptions", ":material/rule:"),
    "lineage": ("app_pages/lineage.py", "Lineage", ":material/account_tree:"),
    "quality": ("app_pages/data_quality.py", "Data quality", ":material/fact_check:"),
    "jobs": ("app_pages/jobs.py", "Jobs", ":material/schedule:"),
}
# Each role's view: the pages it needs, grouped. Executives get the close pack and read-only
# queue; nothing here grants an action (the functions that act check the role themselves).
SECTIONS: dict[Role, dict[str, list[str]]] = {
    Role.CONTROLLER: {"Monitor": ["overview", "close"], "Work": ["exceptions", "lineage"],
                      "Operate": ["quality", "jobs"]},
    Role.IT: {"Monitor": ["overview"], "Work": ["exceptions", "lineage"],
              "Operate": ["quality", "jobs"]},
    Role.EXECUTIVE: {"Monitor": ["overview", "close"], "Work": ["exceptions"]},
}


def navigation(role: Role) -> dict[str, list[StreamlitPage]]:
    """The pages ``role`` sees, by section; Overview is everyone's landing page."""
    def page(key: str) -> StreamlitPage:
        path, title, icon = PAGES[key]
        return st.Page(path, title=title, icon=icon, url_path=key, default=key == "overview")
    return {section: [page(k) for k in keys] for section, keys in SECTIONS[role].items()}


def run_page(page: StreamlitPage, settings: Settings, viewer: Viewer) -> None:
    """Build the shared context and run the page; an unexpected error becomes a short message
    and a logged traceback."""
    try:
        session.build(settings, viewer)
        page.run()
    except ConfigError as err:
        _config_error(err)
    except Exception:  # by choice: a page never shows a traceback (SPEC §9)
        log.exception("page %r failed", page.title)
        st.error("This page could not be shown because of an unexpected error. The details are "
                 "in the dashboard's log; reloading may help if a run was being published.",
                 icon=":material/error:")


def _config_error(err: Exception) -> None:
    st.error(f"The configuration has a problem:\n\n{err}", icon=":material/settings:")


def main() -> None:
    st.set_page_config(page_title="recon", page_icon=":material/balance:", layout="wide")
    st.html(CSS)
    try:
        settings = data.load_settings()
        viewer = session.resolve_viewer()
    except (ConfigError, AccessError) as err:
        _config_error(err)
        return
    run_page(st.navigation(navigation(viewer.role)), settings, viewer)


main()
