"""The workflow store: append-only events, derived state, roles, and concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from jobs import workflow
from jobs.workflow import Conflict, InvalidAction, NotAllowed, Role, Status

T0 = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv(workflow.URL_ENV, raising=False)
    return workflow.open_store(tmp_path)


def test_default_store_is_sqlite_in_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv(workflow.URL_ENV, raising=False)
    workflow.open_store(tmp_path)
    assert (tmp_path / "workflow.sqlite").is_file()


def test_url_from_argument_or_environment(tmp_path, monkeypatch):
    other = tmp_path / "elsewhere" / "wf.db"
    monkeypatch.setenv(workflow.URL_ENV, f"sqlite:///{other}")
    assert workflow.open_store(tmp_path).url == f"sqlite:///{other}"
    explicit = workflow.open_store(tmp_path, url="sqlite://")
    assert explicit.url == "sqlite://"
    assert other.is_file() and not (tmp_path / "workflow.sqlite").exists()


def test_actions_build_state_and_an_audit_trail(store):
    ctl = Role.CONTROLLER
    workflow.record(store, ["x1"], "assign", "ana", ctl, assignee="bob", now=T0)
    workflow.record(store, ["x1"], "comment", "bob", ctl, comment="asked the bank", now=T0)
    workflow.record(store, ["x1"], "resolve", "bob", ctl, reason="fee booked manually",
                    now=T0 + dt.timedelta(hours=1))
    now = workflow.state(store, ["x1", "x2"])
    assert set(now) == {"x1"}  # x2 was never acted on
    x1 = now["x1"]
    assert (x1.status, x1.assignee, x1.reason, x1.version, x1.updated_by) == (
        "resolved", "bob", "fee booked manually", 2, "bob")
    assert x1.updated_at == T0 + dt.timedelta(hours=1)
    trail = workflow.history(store, "x1")
    assert [(e.action, e.actor, e.version) for e in trail] == [
        ("assign", "ana", 1), ("comment", "bob", 1), ("resolve", "bob", 2)]
    assert trail[1].comment == "asked the bank" and trail[0].at.tzinfo is not None

    workflow.record(store, ["x1"], "reopen", "ana", ctl, now=T0 + dt.timedelta(days=1))
    again = workflow.state(store, ["x1"])["x1"]
    assert (again.status, again.reason, again.assignee) == ("open", None, "bob")
    assert len(workflow.history(store, "x1")) == 4


def test_bulk_is_all_or_nothing(store):
    workflow.record(store, ["a"], "resolve", "ana", "controller", reason="dup")
    with pytest.raises(InvalidAction, match="already resolved: a"):
        workflow.record(store, ["b", "a", "c"], "resolve", "ana", "controller", reason="dup")
    assert set(workflow.state(store)) == {"a"}
    events = workflow.record(store, ["b", "c", "b"], "route", "ana", "controller",
                             queue="master-data")
    assert [e.exception_id for e in events] == ["b", "c"]
    assert {k: s.queue for k, s in workflow.state(store).items()} == {
        "a": None, "b": "master-data", "c": "master-data"}


@pytest.mark.parametrize(("action", "kwargs", "message"), [
    ("assign", {}, "needs an assignee"),
    ("route", {"queue": "  "}, "needs a queue"),
    ("resolve", {}, "needs a reason"),
    ("comment", {}, "needs a comment"),
    ("reopen", {}, "nothing to reopen"),
    ("approve", {}, "unknown action"),
])
def test_invalid_actions_are_refused(store, action, kwargs, message):
    with pytest.raises(InvalidAction, match=message):
        workflow.record(store, ["x"], action, "ana", "controller", **kwargs)
    assert workflow.history(store, "x") == []


def test_roles_are_enforced_by_the_store(store):
    with pytest.raises(NotAllowed, match="executive role may not resolve"):
        workflow.record(store, ["x"], "resolve", "cfo", "executive", reason="looks fine")
    with pytest.raises(NotAllowed):
        workflow.record(store, ["x"], "assign", "eng", Role.IT, assignee="eng")
    with pytest.raises(NotAllowed):
        workflow.record(store, ["x"], "comment", "who", "intern", comment="hi")
    workflow.record(store, ["x"], "comment", "eng", Role.IT, comment="feed re-sent at 10:00")
    assert [e.role for e in workflow.history(store, "x")] == ["it"]
    assert workflow.can("it", workflow.RUN_JOBS) and not workflow.can("controller",
                                                                      workflow.RUN_JOBS)
    assert workflow.can("it", workflow.SEE_ACCOUNTS)
    assert not workflow.can("executive", workflow.SEE_ACCOUNTS)


def test_stale_version_is_a_conflict(store):
    seen = workflow.state(store, ["x"]).get("x")
    assert seen is None  # the screen showed version 0
    workflow.record(store, ["x"], "assign", "bob", "controller", assignee="bob")
    with pytest.raises(Conflict, match="changed by someone else") as err:
        workflow.record(store, ["x"], "resolve", "ana", "controller", reason="done",
                        expected={"x": 0})
    assert err.value.exception_ids == ["x"]
    assert workflow.state(store, ["x"])["x"].status == Status.OPEN
    workflow.record(store, ["x"], "resolve", "ana", "controller", reason="done",
                    expected={"x": 1})
    assert workflow.state(store, ["x"])["x"].status == Status.RESOLVED


def test_comments_never_conflict(store):
    workflow.record(store, ["x"], "assign", "bob", "controller", assignee="bob")
    workflow.record(store, ["x"], "comment", "ana", "controller", comment="one",
                    expected={"x": 0})  # stale, but a comment overwrites nothing
    workflow.record(store, ["x"], "resolve", "bob", "controller", reason="ok", expected={"x": 1},
                    comment="fee confirmed by the bank")
    trail = workflow.history(store, "x")
    assert [(e.action, e.comment) for e in trail][1:] == [
        ("comment", "one"), ("resolve", "fee confirmed by the bank")]


def _race(store, writers: list[dict]) -> list[BaseException | None]:
    """Start ``writers`` (kwargs of ``record``) at the same instant, one thread each."""
    barrier = threading.Barrier(len(writers))
    outcome: list[BaseException | None] = [None] * len(writers)

    def write(i: int, kwargs: dict) -> None:
        barrier.wait()
        try:
            workflow.record(store, **kwargs)
        except BaseException as err:  # noqa: BLE001 - reported to the test
            outcome[i] = err

    threads = [threading.Thread(target=write, args=(i, w)) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcome


@pytest.mark.parametrize("rounds", range(3))
def test_two_concurrent_writers_on_one_exception(store, rounds):
    """Both saw version 0; exactly one wins, the other is told to reload; nothing is lost."""
    if rounds:  # later rounds start from an existing state row (update, not insert)
        workflow.record(store, ["x"], "route", "ops", "controller", queue="treasury")
    seen = workflow.state(store, ["x"]).get("x")
    version = seen.version if seen else 0
    outcome = _race(store, [
        dict(exception_ids=["x"], action="resolve", actor="ana", role="controller",
             reason="fee", expected={"x": version}),
        dict(exception_ids=["x"], action="assign", actor="bob", role="controller",
             assignee="bob", expected={"x": version}),
    ])
    assert sorted(type(o).__name__ for o in outcome) == ["Conflict", "NoneType"]
    now = workflow.state(store, ["x"])["x"]
    assert now.version == version + 1
    winner = "ana" if outcome[0] is None else "bob"
    assert now.updated_by == winner
    assert (now.status == "resolved") == (winner == "ana")
    assert [e.actor for e in workflow.history(store, "x")][-1] == winner


def test_concurrent_writers_without_expectation_all_apply(store, writers=12):
    """Writers queue for the lock, so none runs out of retries however many race."""
    for _ in range(3):
        before = workflow.state(store, ["x"]).get("x")
        start = before.version if before else 0
        outcome = _race(store, [
            dict(exception_ids=["x"], action="route", actor=f"user{i}", role="controller",
                 queue=f"q{i}") for i in range(writers)])
        assert outcome == [None] * writers
        assert workflow.state(store, ["x"])["x"].version == start + writers
    assert sorted(e.version for e in workflow.history(store, "x")) == list(range(1, 3 * writers + 1))


def test_overlay_and_routing(store):
    workflow.record(store, ["x", "y"], "assign", "ana", "controller", assignee="bob",
                    queue="master-data")
    workflow.record(store, ["y"], "resolve", "bob", "controller", reason="mapped")
    table = workflow.overlay(store).sort_by("exception_id").to_pylist()
    assert table == [
        {"exception_id": "x", "wf_status": "open", "wf_assignee": "bob",
         "wf_queue": "master-data", "wf_version": 1},
        {"exception_id": "y", "wf_status": "resolved", "wf_assignee": "bob",
         "wf_queue": "master-data", "wf_version": 2}]
    assert workflow.route("mapping_error", {"mapping_error": "master-data"}) == "master-data"
    assert workflow.route("new_cause", {}) == workflow.DEFAULT_QUEUE


def test_state_survives_reopening_the_store(tmp_path, monkeypatch):
    monkeypatch.delenv(workflow.URL_ENV, raising=False)
    first = workflow.open_store(tmp_path)
    workflow.record(first, ["x"], "resolve", "ana", "controller", reason="ok")
    first.engine.dispose()
    assert workflow.state(workflow.open_store(tmp_path), ["x"])["x"].status == "resolved"


def test_the_report_applies_the_overlay(store, tmp_path):
    """Manual resolutions stay resolved across runs (the overlay wins over the published
    'open'), reopening brings them back, and the report filters on the overlaid values."""
    import duckdb

    from jobs import export
    from tests.published_fixture import build_published, generate

    fixture = generate(seed=5, n_records=80)
    path = build_published(tmp_path / "home", fixture)
    opened = [x["exception_id"] for x in fixture.exceptions if x["status"] == "open"]
    autos = [x["exception_id"] for x in fixture.exceptions if x["status"] == "auto_resolved"]
    auto = autos[0]
    workflow.record(store, opened[:2], "resolve", "ana", "controller", reason="fixed")
    workflow.record(store, opened[2:3], "assign", "ana", "controller", assignee="bob",
                    queue="desk")
    workflow.record(store, [auto], "comment", "ana", "controller", comment="late match")

    def ids(**filters):
        with duckdb.connect(str(path), read_only=True) as con:
            table = export.exceptions_table(con, filters, overlay=workflow.overlay(store))
        return table.column("exception_id").to_pylist()

    assert set(ids()) == set(opened[2:])
    assert set(ids(status=["resolved"])) == set(opened[:2])
    assert set(ids(status=["auto_resolved"])) == set(autos)  # automatic resolutions stand
    assert ids(assignee=["bob"]) == [opened[2]] and ids(queue=["desk"]) == [opened[2]]
    assert len(ids(assignee=[export.UNASSIGNED])) == len(opened) - 3
    workflow.record(store, opened[:1], "reopen", "ana", "controller")
    assert opened[0] in ids()
    with duckdb.connect(str(path), read_only=True) as con:  # without an overlay: as published
        assert export.exceptions_table(con).num_rows == len(opened)
