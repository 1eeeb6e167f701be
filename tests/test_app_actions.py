"""Server-side checks behind the buttons: workflow actions by role and state, and Run now."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from app import actions, runner
from app.access import Viewer
from app.actions import Target
from jobs import warehouse, workflow
from jobs.settings import Settings
from jobs.workflow import NotAllowed, Role


@pytest.fixture
def store(tmp_path):
    return workflow.open_store(tmp_path, f"sqlite:///{tmp_path / 'wf.sqlite'}")


def viewer(role: Role) -> Viewer:
    return Viewer(actor=f"{role.value}-user", role=role, roles=(role,))


def test_actions_apply_and_say_what_happened(store):
    outcome = actions.apply(store, viewer(Role.CONTROLLER), "resolve",
                            {"a": Target(0, "open"), "b": Target(0, "open")},
                            reason=actions.RESOLUTION_REASONS[0])
    assert outcome.ok and outcome.message == "Resolved 2 exceptions."
    again = actions.apply(store, viewer(Role.CONTROLLER), "reopen", {"a": Target(1, "resolved")})
    assert again.message == "Reopened 1 exception."


def test_executives_are_refused_by_the_server(store):
    outcome = actions.apply(store, viewer(Role.EXECUTIVE), "resolve", {"a": Target(0, "open")},
                            reason="fine")
    assert outcome.level == "error" and "executive role may not resolve" in outcome.message
    assert workflow.state(store) == {}


def test_stale_targets_are_a_warning_not_an_overwrite(store):
    workflow.record(store, ["a"], "assign", "bob", "controller", assignee="bob")
    outcome = actions.apply(store, viewer(Role.CONTROLLER), "assign", {"a": Target(0, "open")},
                            assignee="ana")
    assert outcome.level == "warning" and "changed by someone else" in outcome.message
    assert workflow.state(store, ["a"])["a"].assignee == "bob"


def test_automatic_resolutions_are_left_alone(store):
    outcome = actions.apply(store, viewer(Role.CONTROLLER), "resolve",
                            {"a": Target(0, "auto_resolved")}, reason="x")
    assert outcome.level == "error" and "resolved automatically" in outcome.message
    comment = actions.apply(store, viewer(Role.CONTROLLER), "comment",
                            {"a": Target(0, "auto_resolved")}, comment="why did it match?")
    assert comment.ok


def test_missing_values_are_explained(store):
    outcome = actions.apply(store, viewer(Role.CONTROLLER), "resolve", {"a": Target(0, "open")})
    assert outcome.level == "error" and "needs a reason" in outcome.message
    assert actions.apply(store, viewer(Role.CONTROLLER), "approve", {}).level == "error"


# --- Run now ---------------------------------------------------------------------------------

@pytest.fixture
def settings(tmp_path):
    (tmp_path / "sources").mkdir()
    return Settings.load(home=tmp_path)


REAL_POPEN = subprocess.Popen


class FakePopen:
    """Stands in for the ``recon run`` child: a real idle process we own (and end)."""

    def __init__(self, command, **kwargs):
        self.command = command
        self._proc = REAL_POPEN([sys.executable, "-c", "import time; time.sleep(30)"])
        self.pid = self._proc.pid

    def poll(self):
        return self._proc.poll()


def test_only_it_may_run_jobs(settings):
    with pytest.raises(NotAllowed, match="controller role may not run jobs"):
        runner.start(settings, Role.CONTROLLER, "ana")


def test_run_now_starts_once(settings, monkeypatch):
    monkeypatch.setattr(runner.subprocess, "Popen", FakePopen)
    started = runner.start(settings, Role.IT, "eve")
    try:
        assert started.command[1:4] == ["-m", "jobs", "run"]
        assert started.command[-1] == str(settings.sources.resolve())
        assert runner.last_started(settings.home) == started
        assert "in progress" in runner.status(settings.home)
        with pytest.raises(runner.RunInProgress):
            runner.start(settings, Role.IT, "eve")
    finally:
        runner._children[started.pid]._proc.kill()
        runner._children[started.pid]._proc.wait()
    assert runner.status(settings.home) is None


def test_a_missing_source_folder_is_said(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        runner.start(Settings.load(home=tmp_path / "h"), Role.IT, "eve")


def test_a_writer_holding_the_warehouse_counts_as_a_run(tmp_path):
    path = tmp_path / warehouse.WAREHOUSE_FILE
    duckdb.connect(str(path)).close()
    assert runner.warehouse_holder(path) is None
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"c = duckdb.connect({str(path)!r}); print('ok', flush=True); "
                               "time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        assert runner.warehouse_holder(path) == holder.pid
        assert f"pid {holder.pid}" in runner.status(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 5
    while runner.warehouse_holder(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runner.status(tmp_path) is None
    assert runner.warehouse_holder(Path(tmp_path / "absent.duckdb")) is None
