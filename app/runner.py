""""Run now" from the Jobs page: start ``recon run`` in the background, once at a time, for IT.

The run is a separate process (the same command as on the command line) so the dashboard never
becomes the warehouse's writer and a long run never blocks a page. A run counts as in progress
while the process this dashboard started is alive, or while any other process (the worker, a
run from the command line) holds the warehouse's write lock, which is probed without taking it.
No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from jobs import warehouse
from jobs.settings import Settings
from jobs.workflow import RUN_JOBS, NotAllowed, Role, can

STATE_FILE = "run-now.json"
LOG_DIR = "logs"
_children: dict[int, subprocess.Popen] = {}  # reaped by ``status`` so they never linger as zombies
_FLOCK = "hhqqi4x"  # struct flock on 64-bit Linux: type, whence, start, len, pid (+ padding)


class RunInProgress(Exception):
    """A run is already going; the message says which."""


@dataclass(frozen=True)
class Started:
    pid: int
    started_at: str
    actor: str
    command: list[str]
    log: str


def status(home: Path) -> str | None:
    """Why a new run cannot start now (a run in progress), or None if one can."""
    started = last_started(home)
    if started and _alive(started.pid):
        return (f"a run started from the dashboard by {started.actor} at {started.started_at} "
                f"is in progress (process {started.pid})")
    holder = warehouse_holder(home / warehouse.WAREHOUSE_FILE)
    if holder:
        return f"another process (pid {holder}) is writing the warehouse: a run is in progress"
    return None


def start(settings: Settings, role: Role | str, actor: str) -> Started:
    """Start ``recon run`` over the configured sources in the background.

    Raises:
        NotAllowed: the role may not run jobs (only IT may).
        RunInProgress: a run is already going.
        FileNotFoundError: the configured source folder does not exist.
    """
    if not can(role, RUN_JOBS):
        raise NotAllowed(f"the {role} role may not run jobs; ask an IT engineer")
    busy = status(settings.home)
    if busy:
        raise RunInProgress(busy)
    sources = settings.sources
    if not sources.is_dir():
        raise FileNotFoundError(f"the configured source folder {sources} does not exist")
    now = dt.datetime.now(dt.UTC)
    logs = settings.home / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"run-now-{now:%Y%m%dT%H%M%SZ}.log"
    command = [sys.executable, "-m", "jobs", "run", "--home", str(settings.home.resolve()),
               "--sources", str(sources.resolve())]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=dict(os.environ, RECON_HOME=str(settings.home.resolve())))
    _children[proc.pid] = proc
    started = Started(pid=proc.pid, started_at=now.strftime("%Y-%m-%d %H:%M UTC"), actor=actor,
                      command=command, log=str(log))
    (settings.home / STATE_FILE).write_text(json.dumps(asdict(started)), encoding="utf-8")
    return started


def last_started(home: Path) -> Started | None:
    """The last run started from the dashboard, if any."""
    try:
        return Started(**json.loads((home / STATE_FILE).read_text(encoding="utf-8")))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def log_tail(started: Started, lines: int = 40) -> str:
    try:
        text = Path(started.log).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def exit_code(started: Started) -> int | None:
    """The run's exit code if this dashboard started it and it has ended, else None."""
    proc = _children.get(started.pid)
    return None if proc is None else proc.poll()


def warehouse_holder(path: Path) -> int | None:
    """Pid of a process holding a lock on the warehouse file, or None.

    Asks the kernel (``F_GETLK``) whether a lock would conflict, which takes no lock itself, so
    probing can never make the worker's own open fail.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        query = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack(_FLOCK, fcntl.fcntl(fd, fcntl.F_GETLK, query))
        return pid if kind != fcntl.F_UNLCK and pid != os.getpid() else None
    except OSError:  # a file system without POSIX locks: rely on the pid check alone
        return None
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    proc = _children.get(pid)
    if proc is not None:
        return proc.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _is_run(pid)


def _is_run(pid: int) -> bool:
    """The pid is a live ``recon run`` (not a zombie, not a reused pid of something else)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc to ask: trust the pid
    return stat.rsplit(")", 1)[-1].split()[0] != "Z" and b"run" in command
