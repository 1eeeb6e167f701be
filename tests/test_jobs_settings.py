"""Configuration: defaults, file, environment overrides, and errors that name the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from jobs.settings import ConfigError, Settings

REPO_CONFIG = Path(__file__).resolve().parent.parent / "recon.toml"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in ("RECON_HOME", "RECON_CONFIG", "RECON_MATCHING__DATE_WINDOW_DAYS"):
        monkeypatch.delenv(key, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_matches_defaults():
    shipped = Settings.load(config=REPO_CONFIG)
    assert shipped.model_dump() == Settings.load(config=None).model_dump()
    assert shipped.matching.amount_tolerance_abs == Decimal("0.01")
    assert shipped.settlement_days["procure_to_pay"] == 30
    assert shipped.queues["mapping_error"] == "master-data"
    assert shipped.schedules["procurement"].cron == "0 * * * *"


def test_environment_overrides_file(tmp_path, monkeypatch):
    path = write(tmp_path, "[matching]\ndate_window_days = 4\n")
    monkeypatch.setenv("RECON_MATCHING__DATE_WINDOW_DAYS", "9")
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "h"))
    s = Settings.load(config=path)
    assert s.matching.date_window_days == 9
    assert s.home == tmp_path / "h"


def test_home_flag_beats_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_HOME", str(tmp_path / "env"))
    assert Settings.load(home=tmp_path / "flag").home == tmp_path / "flag"


@pytest.mark.parametrize(("text", "names"), [
    ("[matching]\ndate_window_days = -1\n", "matching.date_window_days"),
    ("[matching]\nrule_order = ['exact_reference', 'guess']\n", "matching.rule_order"),
    ("[matching]\nwindow = 3\n", "matching.window"),
    ("[settlement_days]\nbank_to_ledgr = 3\n", "settlement_days"),
    ("[queues]\nmapping_eror = 'x'\n", "queues"),
    ("[schedules.bank]\ncron = '* *'\n", "schedules.bank"),
    ("[schedules.bank]\ninterval_minutes = 5\ncron = '0 * * * *'\n", "schedules.bank"),
    ("[app]\nport = 70000\n", "app.port"),
])
def test_wrong_values_name_the_key(tmp_path, text, names):
    with pytest.raises(ConfigError) as err:
        Settings.load(config=write(tmp_path, text))
    assert names in str(err.value)
    assert str(tmp_path / "recon.toml") in str(err.value)


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.load(config=write(tmp_path, "[matching\n"))
    with pytest.raises(ConfigError, match="not found"):
        Settings.load(config=tmp_path / "nope.toml")
