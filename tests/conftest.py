"""Shared pytest fixtures."""

from tests.local_api import serve  # noqa: F401  (a real local HTTP server for API-mode tests)

pytest_plugins = ["tests.app_fixtures"]
