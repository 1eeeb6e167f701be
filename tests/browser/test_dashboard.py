"""The dashboard in a real browser: ``recon app`` on a free local port over a simulated company,
driven by Debian's Chromium through Playwright (``make test-browser``).

Every page loads without a traceback, a filter changes a figure and the URL, an export
downloads, a workflow action is saved; each page is screenshotted to ``screenshots/`` and the
README's two pictures are refreshed in ``app/screenshots/``.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
DOC_SHOTS = ROOT / "app" / "screenshots"
AS_OF = "2026-11-20"
RECORDS = 2000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-gpu"]
PAGES = {"overview": "", "close": "close", "exceptions": "exceptions", "lineage": "lineage",
         "quality": "quality", "jobs": "jobs"}
TITLES = {"overview": "Overview", "close": "Close review", "exceptions": "Exceptions",
          "lineage": "Lineage", "quality": "Data quality", "jobs": "Jobs"}


def recon(*args: str, env: dict | None = None, timeout: int = 600) -> None:
    subprocess.run([sys.executable, "-m", "jobs", *args], check=True, cwd=ROOT, env=env,
                   timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A published home from a simulated company (seeded, so every run looks the same)."""
    base = tmp_path_factory.mktemp("browser")
    sources, home = base / "sources", base / "home"
    recon("simulate", "--out", str(sources), "--seed", "3", "--records", str(RECORDS),
          "--as-of", AS_OF)
    recon("run", "--home", str(home), "--sources", str(sources), "--as-of", AS_OF)
    return home


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(home) -> str:
    """``recon app`` on 127.0.0.1, stopped (its whole process group) after the module."""
    port = free_port()
    env = dict(os.environ, RECON_HOME=str(home), RECON_LOCAL_USER="browser-test",
               RECON_WORKFLOW_URL=f"sqlite:///{home / 'workflow.sqlite'}")
    env.pop("RECON_CONFIG", None)
    env.pop("RECON_LOCAL_ROLES", None)
    log = (home / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "jobs", "app", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"recon app exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the dashboard did not answer at {url}")


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium): "
                    "the browser suite needs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000},
                                  accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def settle(page, title: str | None = None, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished the run: the page's title is shown, and neither the
    'running' indicator nor a loading placeholder (charts load after the run) has been seen
    for a moment."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout)
    if title:
        page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=timeout)
    quiet_since = None
    deadline = time.monotonic() + timeout / 1000
    while time.monotonic() < deadline:
        running = page.locator("[data-testid='stStatusWidget'], "
                               "[data-testid='stSkeleton']").count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 0.8:
            return
        time.sleep(0.1)
    raise TimeoutError("the page kept running")


def assert_no_error(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("could not be shown").count() == 0
    # job tracebacks are content of the Jobs page (inside its Failures expanders); anywhere
    # else a traceback means the page itself failed
    outside = page.locator("[data-testid='stMain']").evaluate(
        "m => { const c = m.cloneNode(true);"
        " c.querySelectorAll(\"[data-testid='stExpander']\").forEach(e => e.remove());"
        " return c.innerText; }")
    assert "Traceback" not in outside


def metric(page, label: str) -> str:
    tile = page.locator("[data-testid='stMetric']").filter(
        has=page.locator("[data-testid='stMetricLabel']", has_text=label)).first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def open_page(page, app_url: str, name: str, query: str = "") -> None:
    page.goto(f"{app_url}/{PAGES[name]}{query}")
    settle(page, TITLES[name])


def test_every_page_loads(page, app_url):
    SHOTS.mkdir(exist_ok=True)
    # Streamlit scrolls inside its own container, so a tall window shows a whole page
    page.set_viewport_size({"width": 1600, "height": 2600})
    for name in PAGES:
        query = "?id=INV-DE01-0000251" if name == "lineage" else ""
        open_page(page, app_url, name, query)
        assert_no_error(page)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_filter_changes_a_figure_and_the_url(page, app_url):
    open_page(page, app_url, "overview")
    before = metric(page, "Open exceptions")
    sidebar = page.locator("[data-testid='stSidebar']")
    box = sidebar.locator("[data-testid='stMultiSelect']").filter(has_text="Workflow")
    box.locator("input").click()
    page.get_by_role("option", name="intercompany", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_url("**workflow=intercompany**")
    settle(page, "Overview")
    assert metric(page, "Open exceptions") != before
    assert "workflow=intercompany" in page.url
    # the filter stays when moving to another page (entrypoint widgets, bound to the URL)
    page.get_by_role("link", name="Exceptions").click()
    settle(page, "Exceptions")
    assert "workflow=intercompany" in page.url


def shown_total(page) -> int:
    text = page.get_by_text("exceptions in this view").first.inner_text()
    return int(text.split(" ")[0].replace(",", ""))


def test_the_export_downloads_the_filtered_view(page, app_url, tmp_path):
    open_page(page, app_url, "exceptions", "?workflow=procure_to_pay")
    total = shown_total(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == total
    assert {r["workflow"] for r in rows} == {"procure_to_pay"}
    assert list(rows[0])[:3] == ["exception_id", "workflow", "cause"]


def test_a_workflow_action_is_saved(page, app_url, home):
    open_page(page, app_url, "exceptions", "?workflow=bank_to_ledger")
    before = shown_total(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
    page.get_by_text("Applies to 1 exception(s)").wait_for(timeout=30_000)
    settle(page, "Exceptions")
    page.get_by_role("radiogroup", name="Action").get_by_role("radio", name="Resolve").click()
    settle(page, "Exceptions")
    page.locator("[data-testid='stSelectbox']").filter(has_text="Resolution reason").click()
    page.get_by_role("option", name="Duplicate reversed").click()
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    page.get_by_text("Resolved 1 exception.").wait_for(timeout=30_000)
    settle(page, "Exceptions")
    assert shown_total(page) == before - 1
    assert_no_error(page)

    from jobs import workflow
    store = workflow.open_store(home, f"sqlite:///{home / 'workflow.sqlite'}")
    saved = [s for s in workflow.state(store).values() if s.status == "resolved"]
    assert saved and saved[0].updated_by == "browser-test"


def test_readme_screenshots(page, app_url):
    """The two pictures the README shows, at a size that reads well on GitHub."""
    DOC_SHOTS.mkdir(exist_ok=True)
    open_page(page, app_url, "overview")
    page.screenshot(path=str(DOC_SHOTS / "overview.png"))
    open_page(page, app_url, "exceptions")
    page.screenshot(path=str(DOC_SHOTS / "exceptions.png"))
