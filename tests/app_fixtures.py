"""Fixtures of the dashboard's AppTest suites (a published fixture run, the app pointed at it,
captured downloads), registered for every test module by ``conftest.py``; a module that needs
another home defines its own ``home``."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    from tests.test_app_pages import build_home
    return build_home(tmp_path_factory)


@pytest.fixture
def env(monkeypatch, tmp_path, home):
    from tests.test_app_pages import use_home
    return use_home(monkeypatch, tmp_path, home)


@pytest.fixture
def downloads(monkeypatch):
    from tests.test_app_pages import capture_downloads
    return capture_downloads(monkeypatch)
