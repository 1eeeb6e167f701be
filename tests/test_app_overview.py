"""The Overview page, run headless with Streamlit's AppTest against fixture homes.

Expected figures are computed here from the generated rows, not through ``app.queries``.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from jobs.published import point_current, published_dir
from tests.published_fixture import (
    AS_OF,
    RUN_ID,
    SLA_DAYS,
    build_empty_run,
    build_published,
    generate,
)

ENTRYPOINT = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
FIXTURE = generate()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    build_published(home, FIXTURE)
    return home


def run_app(monkeypatch, home: Path, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.delenv("RECON_CONFIG", raising=False)
    at = AppTest.from_file(ENTRYPOINT, default_timeout=30)
    at.query_params.update(query or {})
    return at.run()


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_tiles(workflows: set[str] | None = None, currency: str | None = None) -> dict:
    """The tile values for the fixture, restricted to ``workflows``, computed by hand."""
    scope = [r for r in FIXTURE.scope if not workflows or r["workflow"] in workflows]
    opened = [x for x in FIXTURE.exceptions
              if x["status"] == "open" and (not workflows or x["workflow"] in workflows)]
    by_ccy = {c: sum(r["currency"] == c for r in scope) for c in {r["currency"] for r in scope}}
    ccy = currency or max(sorted(by_ccy), key=by_ccy.get)
    in_ccy = [r for r in scope if r["currency"] == ccy]
    matched_amt = sum(abs(r["amount"]) for r in in_ccy if r["status"] == "matched")
    open_amt = sum(abs(x["amount"]) for x in opened if x["currency"] == ccy)
    ages = sorted((AS_OF - x["first_seen"]).days for x in opened)
    pos = 0.9 * (len(ages) - 1)
    p90 = ages[int(pos)] + (ages[min(int(pos) + 1, len(ages) - 1)] - ages[int(pos)]) * (pos - int(pos))
    decimals = 0 if ccy == "JPY" else 2
    return {
        "Auto-match rate (count)": f"{sum(r['status'] == 'matched' for r in scope) / len(scope):.1%}",
        f"Auto-match rate (amount, {ccy})": f"{matched_amt / sum(abs(r['amount']) for r in in_ccy):.1%}",
        "Open exceptions": f"{len(opened):,}",
        f"Open exception amount ({ccy})": f"{ccy} {open_amt:,.{decimals}f}",
        "Exceptions in SLA breach": str(sum((AS_OF - x["first_seen"]).days > SLA_DAYS[x["cause"]]
                                            for x in opened)),
        "Median age": _days(statistics.median(ages)),
        "p90 age": _days(p90),
        "Last run": "2025-11-14",
    }


def _days(value: float) -> str:
    return f"{value:.0f} days" if float(value).is_integer() else f"{value:.1f} days"


def test_renders_the_fixture_figures(monkeypatch, home):
    at = run_app(monkeypatch, home)
    assert not at.exception and not at.error
    assert at.title[0].value == "Overview"
    assert tiles(at) == expected_tiles()
    assert any(RUN_ID in c.value and "as of 2025-11-14" in c.value for c in at.caption)
    assert [m.label for m in at.sidebar.multiselect] == ["Period", "Entity", "Workflow", "Cause",
                                                         "Currency"]
    assert len(at.get("plotly_chart")) == 8


def test_changing_a_filter_changes_the_figures(monkeypatch, home):
    at = run_app(monkeypatch, home)
    before = tiles(at)
    at.multiselect(key="workflow").select("intercompany").run()
    assert not at.exception and not at.error
    after = tiles(at)
    assert after == expected_tiles({"intercompany"})
    assert after["Auto-match rate (count)"] != before["Auto-match rate (count)"]


def test_filters_come_from_the_url(monkeypatch, home):
    """A shared link reproduces the view: filters and the amount currency are query parameters."""
    chosen = ["bank_to_ledger", "procure_to_pay"]
    at = run_app(monkeypatch, home, {"workflow": chosen, "amounts_in": "JPY", "period": "1999-01"})
    assert not at.exception and not at.error
    assert at.multiselect(key="workflow").value == chosen
    assert at.multiselect(key="period").value == []  # a value this run does not offer is dropped
    assert tiles(at) == expected_tiles(set(chosen), currency="JPY")
    assert "." not in tiles(at)["Open exception amount (JPY)"]  # no minor units for JPY


def test_picking_the_amount_currency(monkeypatch, home):
    at = run_app(monkeypatch, home)
    assert at.selectbox(key="amounts_in").options == ["USD", "JPY", "EUR"]
    at.selectbox(key="amounts_in").select("EUR").run()
    assert tiles(at) == expected_tiles(currency="EUR")
    assert any("Amounts in **EUR**" in c.value for c in at.caption)


def test_single_currency_needs_no_pick(monkeypatch, home):
    at = run_app(monkeypatch, home, {"currency": "JPY"})
    assert not at.selectbox
    assert "Open exception amount (JPY)" in tiles(at)


def test_empty_home_shows_how_to_publish(monkeypatch, tmp_path):
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception and not at.error
    message = at.info[0].value
    assert "Nothing has been published yet" in message
    assert "recon run --sources DIR" in message and "make demo" in message
    assert not at.metric


def test_run_without_records(monkeypatch, tmp_path):
    build_empty_run(tmp_path)
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception and not at.error
    assert tiles(at)["Auto-match rate (count)"] == "—"
    assert tiles(at)["Open exceptions"] == "0"
    assert "No records in scope" in at.info[0].value


def test_a_broken_run_shows_a_message_not_a_traceback(monkeypatch, tmp_path):
    folder = published_dir(tmp_path)
    folder.mkdir(parents=True)
    broken = folder / "broken.duckdb"
    broken.write_bytes(b"this is not a DuckDB file" * 100)
    point_current(tmp_path, broken)
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert "could not be shown" in at.error[0].value


def test_a_configuration_error_is_explained(monkeypatch, tmp_path, home):
    bad = tmp_path / "recon.toml"
    bad.write_text("[matching]\ndate_window_days = -3\n", encoding="utf-8")
    monkeypatch.setenv("RECON_HOME", str(home))
    monkeypatch.setenv("RECON_CONFIG", str(bad))
    at = AppTest.from_file(ENTRYPOINT, default_timeout=30).run()
    assert not at.exception
    assert "matching.date_window_days" in at.error[0].value


def test_a_new_publish_refreshes_the_figures(monkeypatch, tmp_path):
    build_published(tmp_path, generate(seed=1, n_records=40), run_id="run-a")
    at = run_app(monkeypatch, tmp_path)
    first = tiles(at)["Open exceptions"]
    newer = generate(seed=2, n_records=90)
    build_published(tmp_path, newer, run_id="run-b")
    at.run()
    assert not at.exception and not at.error
    assert any("run-b" in c.value for c in at.caption)
    assert tiles(at)["Open exceptions"] == str(sum(x["status"] == "open" for x in newer.exceptions))
    assert tiles(at)["Open exceptions"] != first
