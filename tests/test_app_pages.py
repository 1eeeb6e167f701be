"""Every dashboard page, run headless with AppTest: renders, follows the shared filters, shows
each role its own view, and gates sign-in when OIDC login is configured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from jobs import workflow
from tests.published_fixture import build_published, generate

ENTRYPOINT = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
PAGES = {"overview": "app_pages/overview.py", "close": "app_pages/close_review.py",
         "exceptions": "app_pages/exceptions.py", "lineage": "app_pages/lineage.py",
         "quality": "app_pages/data_quality.py", "jobs": "app_pages/jobs.py"}
TITLES = {"overview": "Overview", "close": "Close review", "exceptions": "Exceptions",
          "lineage": "Lineage", "quality": "Data quality", "jobs": "Jobs"}
FIXTURE = generate()


# --- shared by the other AppTest modules (functions, so each module declares its fixtures) ---

def build_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("pages")
    build_published(home, FIXTURE)
    return home


def use_home(monkeypatch, tmp_path: Path, home: Path) -> Path:
    """Point the app at ``home`` with a fresh workflow store, in local mode, all roles."""
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.delenv("RECON_CONFIG", raising=False)
    monkeypatch.setenv(workflow.URL_ENV, f"sqlite:///{tmp_path / 'workflow.sqlite'}")
    monkeypatch.setenv("RECON_LOCAL_USER", "ana")
    monkeypatch.delenv("RECON_LOCAL_ROLES", raising=False)
    return home


def capture_downloads(monkeypatch) -> dict:
    """File name -> (callable, mime) of every deferred download button rendered from now on."""
    made: dict = {}
    original = MediaFileManager.add_deferred

    def capture(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = (data_callable, mimetype)
        return original(self, data_callable, mimetype, coordinates, file_name=file_name,
                        **kwargs)
    monkeypatch.setattr(MediaFileManager, "add_deferred", capture)
    return made


def run_app(page: str = "overview", query: dict | None = None, role: str | None = None,
            secrets: dict | None = None, user: dict | None = None) -> AppTest:
    """Start the app, optionally pick a role, then show ``page`` (after the first run, as a
    reader would: the entrypoint registers the pages)."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets.update(secrets or {})
    if user is not None:
        at.user = user
    at.run()
    if role:
        at.segmented_control(key="role").set_value(role).run()
    if page != "overview" or query:
        at.query_params.update(query or {})
        at.switch_page(PAGES[page]).run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(env, page):
    at = run_app(page, {"id": "REF-00003"} if page == "lineage" else None)
    assert_clean(at)
    assert at.title[0].value == TITLES[page]
    assert [m.label for m in at.sidebar.multiselect] == ["Period", "Entity", "Workflow", "Cause",
                                                         "Currency"]


@pytest.mark.parametrize("page", [p for p in PAGES if p != "overview"])
def test_every_page_explains_an_empty_home(monkeypatch, tmp_path, page):
    monkeypatch.setenv("RECON_HOME", str(tmp_path))
    monkeypatch.setenv(workflow.URL_ENV, f"sqlite:///{tmp_path / 'wf.sqlite'}")
    at = run_app(page)
    assert_clean(at)
    assert "Nothing has been published yet" in at.info[0].value


def test_shared_filters_change_the_figures(env):
    """The sidebar workflow filter narrows the exception queue and the close review."""
    at = run_app("exceptions")
    total = sum(x["status"] == "open" for x in FIXTURE.exceptions)
    assert at.markdown[0].value.startswith(f"**{total}** exceptions")
    at.multiselect(key="workflow").select("intercompany").run()
    assert_clean(at)
    narrowed = sum(x["status"] == "open" and x["workflow"] == "intercompany"
                   for x in FIXTURE.exceptions)
    assert at.markdown[0].value.startswith(f"**{narrowed}** exceptions")
    # (the URL side of a bound widget is written by the browser: see tests/browser)

    at.switch_page(PAGES["close"]).run()
    assert_clean(at)
    assert at.multiselect(key="workflow").value == ["intercompany"]  # kept across pages
    before = {m.label: m.value for m in at.metric}
    at.multiselect(key="workflow").unselect("intercompany").run()
    assert {m.label: m.value for m in at.metric} != before


def test_each_role_has_its_view(env):
    at = run_app()
    assert at.segmented_control(key="role").options == ["Controller", "IT", "Executive"]
    at.segmented_control(key="role").set_value("executive").run()
    assert_clean(at)
    with pytest.raises(Exception, match="Jobs|not found|page"):
        at.switch_page(PAGES["jobs"]).run()
    at.switch_page(PAGES["exceptions"]).run()
    assert_clean(at)
    assert any("Read-only" in c.value for c in at.caption)
    assert not at.get("form")


def test_local_roles_come_from_the_environment(env, monkeypatch):
    monkeypatch.setenv("RECON_LOCAL_ROLES", "it")
    at = run_app("jobs")
    assert_clean(at)
    assert not at.get("button_group")  # one role: nothing to pick
    assert any("Role: **IT**" in c.value for c in at.sidebar.caption)
    assert not at.button(key="run_now").disabled
    monkeypatch.setenv("RECON_LOCAL_ROLES", "auditor")
    at = run_app()
    assert "RECON_LOCAL_ROLES" in at.error[0].value


AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                 "client_id": "recon", "client_secret": "y",
                 "server_metadata_url": "https://idp.example/.well-known/openid-configuration"},
        "recon_roles": {"claim": "groups", "controller": ["fin-controllers"],
                        "it": ["integration"], "executive": ["cfo-office"]}}


def test_login_gate_when_oidc_is_configured(env):
    at = run_app(secrets=AUTH, user={"is_logged_in": False})
    assert not at.exception
    assert at.title[0].value == "recon"
    assert not at.metric and not at.sidebar.multiselect  # no data before signing in
    if importlib.util.find_spec("authlib"):
        assert at.button[0].label == "Sign in"
    else:  # streamlit[auth] not installed: said plainly instead of failing on click
        assert "lacks Authlib" in at.error[0].value


def test_signed_in_user_gets_the_roles_of_their_groups(env):
    user = {"is_logged_in": True, "email": "cfo@example.com", "groups": ["cfo-office"]}
    at = run_app("exceptions", secrets=AUTH, user=user)
    assert_clean(at)
    assert any("cfo@example.com" in c.value for c in at.sidebar.caption)
    assert any("Read-only" in c.value for c in at.caption)

    user = {"is_logged_in": True, "email": "bob@example.com", "groups": ["marketing"]}
    at = run_app(secrets=AUTH, user=user)
    assert "no recon role" in at.error[0].value
    assert not at.metric
