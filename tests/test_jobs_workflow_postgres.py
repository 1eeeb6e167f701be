"""The workflow store on a real PostgreSQL: the same tests as on SQLite, plus reopening.

Every test of ``tests/test_jobs_workflow.py`` that takes the ``store`` fixture runs again here,
with ``store`` pointing at a fresh PostgreSQL schema, including the concurrent writers on one
exception (there, two real server sessions). Needs a server:
``export RECON_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)``, then ``make test-postgres``.
"""

from __future__ import annotations

import inspect
import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from jobs import workflow
from tests import test_jobs_workflow as on_sqlite

pytestmark = pytest.mark.postgres
URL_ENV = "RECON_TEST_POSTGRES_URL"


def _server_url() -> str:
    url = os.environ.get(URL_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL: set {URL_ENV} (export {URL_ENV}=$(bash .ci/postgres.sh))")
    pytest.importorskip("psycopg", reason="PostgreSQL needs the optional extra `scale`")
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as err:
        pytest.skip(f"no PostgreSQL reachable at {make_url(url).render_as_string()}: "
                    f"{str(err).splitlines()[0]}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def server():
    return _server_url()


@pytest.fixture
def schema_url(server):
    """A URL whose connections work in a new, empty schema; dropped afterwards."""
    name = f"recon_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    with admin.begin() as con:
        con.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={name}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as con:
        con.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def store(schema_url, tmp_path, monkeypatch):
    monkeypatch.delenv(workflow.URL_ENV, raising=False)
    opened = workflow.open_store(tmp_path, url=schema_url)
    yield opened
    opened.engine.dispose()


def test_concurrent_writers_without_expectation_all_apply(store):
    on_sqlite.test_concurrent_writers_without_expectation_all_apply(store)


# Every other store test of the SQLite suite, collected again here with the fixture above.
for _name, _test in vars(on_sqlite).items():
    if (_name.startswith("test_") and _name not in globals()
            and "store" in inspect.signature(_test).parameters):
        globals()[_name] = _test


def test_the_store_runs_on_postgresql(store):
    assert store.engine.dialect.name == "postgresql"


def test_url_from_environment_selects_postgresql(schema_url, tmp_path, monkeypatch):
    monkeypatch.setenv(workflow.URL_ENV, schema_url)
    opened = workflow.open_store(tmp_path)
    try:
        assert opened.engine.dialect.name == "postgresql"
        assert not (tmp_path / workflow.STORE_FILE).exists()
    finally:
        opened.engine.dispose()


def test_schema_is_created_once_and_state_survives_reopening(schema_url, tmp_path):
    first = workflow.open_store(tmp_path, url=schema_url)
    workflow.record(first, ["x"], "resolve", "ana", "controller", reason="ok")
    first.engine.dispose()
    again = workflow.open_store(tmp_path, url=schema_url)  # creating tables again is a no-op
    try:
        tables = set(sa_inspect(again.engine).get_table_names())
        assert {"exception_event", "exception_state"} <= tables
        now = workflow.state(again, ["x"])["x"]
        assert now.status == "resolved" and now.updated_at.utcoffset() is not None
        assert len(workflow.history(again, "x")) == 1
    finally:
        again.engine.dispose()
