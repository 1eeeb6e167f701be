"""The exception workflow store (SPEC §6): who did what to which exception, and where it stands.

Controllers assign, comment, resolve and reopen exceptions while jobs run, so this state lives
in its own small transactional database (SQLite at ``<home>/workflow.sqlite`` by default, any
SQLAlchemy URL such as PostgreSQL for a team), never in the published run: a run that fails or is
replayed cannot lose it. Every action is an append-only ``ExceptionEvent``; the current state of
each exception is kept in ``ExceptionState``, updated in the same transaction with optimistic
concurrency (a ``version`` checked on write), so two people acting on one exception at once do not
overwrite each other: the second gets ``Conflict`` and reloads.

Roles are checked here, in the function that writes, not only by the screens that hide buttons.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyarrow as pa
from sqlalchemy import DateTime, Engine, event, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel, col, create_engine, select

URL_ENV = "RECON_WORKFLOW_URL"
STORE_FILE = "workflow.sqlite"
DEFAULT_QUEUE = "unassigned"
_CHUNK = 500  # ids per IN (...) list: well under every database's bound-parameter limit
_RETRIES = 5  # rereads when no expected version was given and another writer got there first


class Action(StrEnum):
    ASSIGN = "assign"
    COMMENT = "comment"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    ROUTE = "route"


class Role(StrEnum):
    CONTROLLER = "controller"
    IT = "it"
    EXECUTIVE = "executive"


class Status(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


RUN_JOBS = "run_jobs"
SEE_ACCOUNTS = "see_accounts"
# What each role may do. By choice executives only read; IT engineers may comment (what they
# found in a feed) but the controllers own the exception workflow.
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.CONTROLLER: frozenset(a.value for a in Action),
    Role.IT: frozenset({Action.COMMENT.value, RUN_JOBS, SEE_ACCOUNTS}),
    Role.EXECUTIVE: frozenset(),
}


def can(role: Role | str | None, permission: str) -> bool:
    """True if ``role`` may do ``permission`` (an ``Action`` or ``RUN_JOBS``/``SEE_ACCOUNTS``)."""
    try:
        return str(permission) in PERMISSIONS[Role(role)]
    except ValueError:
        return False


class WorkflowError(Exception):
    """An action was refused; the message says why, in words a user can act on."""


class NotAllowed(WorkflowError, PermissionError):
    """The role may not take this action."""


class InvalidAction(WorkflowError, ValueError):
    """The action does not fit the exception's state, or lacks a required value."""


class Conflict(WorkflowError):
    """Someone else changed an exception since it was read: reload and try again."""

    def __init__(self, exception_ids: Sequence[str]):
        self.exception_ids = list(exception_ids)
        shown = ", ".join(self.exception_ids[:3]) + (" …" if len(self.exception_ids) > 3 else "")
        super().__init__(f"changed by someone else since you loaded it ({shown}): reload and "
                         "try again")


# --- tables: their own metadata, so they never mix with the canonical model -------------------

class _Base(SQLModel, registry=registry()):
    pass


def _utc_column() -> dt.datetime:
    return Field(sa_type=DateTime(timezone=True), nullable=False)


class ExceptionEvent(_Base, table=True):
    """One action on one exception: never updated, never deleted (the audit trail)."""

    __tablename__ = "exception_event"
    event_id: str = Field(primary_key=True, default_factory=lambda: uuid.uuid4().hex)
    exception_id: str = Field(index=True)
    action: str
    actor: str
    role: str
    at: dt.datetime = _utc_column()
    queue: str | None = None
    assignee: str | None = None
    reason: str | None = None
    comment: str | None = None
    version: int = Field(description="the state version this event produced (or saw: comments)")


class ExceptionState(_Base, table=True):
    """The current workflow state of an exception that has had at least one action."""

    __tablename__ = "exception_state"
    exception_id: str = Field(primary_key=True)
    status: str = Status.OPEN.value
    assignee: str | None = None
    queue: str | None = None
    reason: str | None = None
    version: int = 0
    updated_at: dt.datetime = _utc_column()
    updated_by: str


@dataclass(frozen=True)
class State:
    """Where one exception stands in the workflow (``version`` 0: nobody has acted on it)."""

    exception_id: str
    status: str = Status.OPEN.value
    assignee: str | None = None
    queue: str | None = None
    reason: str | None = None
    version: int = 0
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


@dataclass(frozen=True)
class Store:
    """An open workflow store; build it with ``open_store``."""

    engine: Engine

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)


# --- opening --------------------------------------------------------------------------------

def store_url(home: Path, url: str | None = None) -> str:
    """The store's URL: ``url``, else ``$RECON_WORKFLOW_URL``, else SQLite under ``home``."""
    return url or os.environ.get(URL_ENV) or f"sqlite:///{(Path(home) / STORE_FILE).resolve()}"


def open_store(home: Path, url: str | None = None) -> Store:
    """Connect to (and create the tables of) the workflow store for ``home``."""
    target = store_url(home, url)
    sqlite = target.startswith("sqlite")
    if sqlite and ":memory:" not in target and target != "sqlite://":
        Path(target.split("///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(target, connect_args={"timeout": 30, "check_same_thread": False}
                           if sqlite else {}, pool_pre_ping=not sqlite)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    _Base.metadata.create_all(engine)
    return Store(engine)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL: readers (the dashboard's other sessions) never wait for a writer."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# --- reading --------------------------------------------------------------------------------

def state(store: Store, exception_ids: Iterable[str] | None = None) -> dict[str, State]:
    """Current state of the given exceptions (all acted-on ones if None); absent = never acted on."""
    with Session(store.engine) as session:
        return {row.exception_id: _as_state(row) for row in _states(session, exception_ids)}


def history(store: Store, exception_id: str) -> list[ExceptionEvent]:
    """The audit trail of one exception, oldest first."""
    with Session(store.engine) as session:
        rows = list(session.exec(select(ExceptionEvent)
                                 .where(ExceptionEvent.exception_id == exception_id)
                                 .order_by(col(ExceptionEvent.at), col(ExceptionEvent.version))))
        session.expunge_all()
    for row in rows:
        row.at = _utc(row.at)
    return rows


def overlay(store: Store) -> pa.Table:
    """Every acted-on exception's state as an Arrow table, to join onto published exceptions.

    Columns: ``exception_id, wf_status, wf_assignee, wf_queue, wf_version``.
    """
    states = state(store).values()
    return pa.table({
        "exception_id": pa.array([s.exception_id for s in states], pa.string()),
        "wf_status": pa.array([s.status for s in states], pa.string()),
        "wf_assignee": pa.array([s.assignee for s in states], pa.string()),
        "wf_queue": pa.array([s.queue for s in states], pa.string()),
        "wf_version": pa.array([s.version for s in states], pa.int64()),
    })


def route(cause: str, queues: Mapping[str, str]) -> str:
    """The queue a cause is routed to by configuration (``settings.queues``)."""
    return queues.get(cause, DEFAULT_QUEUE)


# --- writing --------------------------------------------------------------------------------

def record(store: Store, exception_ids: Sequence[str], action: Action | str, actor: str,
           role: Role | str, *, assignee: str | None = None, queue: str | None = None,
           reason: str | None = None, comment: str | None = None,
           expected: Mapping[str, int] | None = None,
           now: dt.datetime | None = None) -> list[ExceptionEvent]:
    """Apply one action to one or more exceptions, all or nothing; return the new events.

    ``expected`` maps exception id to the state version the user saw (0: never acted on); if
    any differs from the stored one, nothing is written and ``Conflict`` is raised. Without it
    the action applies to whatever is current (rereading if a concurrent writer interferes).
    Comments change no state, so they are never refused as stale. A ``comment`` given with
    another action is kept on that action's event.

    Raises:
        NotAllowed: the role may not take this action.
        InvalidAction: a required value is missing or the action does not fit the state.
        Conflict: another writer changed one of the exceptions first.
    """
    action = _check(exception_ids, action, actor, role, assignee, queue, reason, comment)
    ids = list(dict.fromkeys(exception_ids))
    for attempt in range(_RETRIES):
        try:
            return _write(store, ids, action, actor, Role(role), expected,
                          dict(assignee=assignee, queue=queue, reason=reason, comment=comment),
                          now or dt.datetime.now(dt.UTC))
        except Conflict:
            if expected is not None or attempt == _RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _check(ids: Sequence[str], action: Action | str, actor: str, role: Role | str,
           assignee: str | None, queue: str | None, reason: str | None,
           comment: str | None) -> Action:
    try:
        action = Action(action)
    except ValueError:
        raise InvalidAction(f"unknown action {action!r}; use one of "
                            f"{', '.join(a.value for a in Action)}") from None
    if not can(role, action):
        raise NotAllowed(f"the {role or 'unknown'} role may not {action.value} exceptions")
    if not ids:
        raise InvalidAction("no exception selected")
    if not (actor or "").strip():
        raise InvalidAction("who is acting? (actor is empty)")
    needs = {Action.ASSIGN: ("an assignee", assignee), Action.ROUTE: ("a queue", queue),
             Action.RESOLVE: ("a reason", reason), Action.COMMENT: ("a comment", comment)}
    if action in needs and not (needs[action][1] or "").strip():
        raise InvalidAction(f"{action.value} needs {needs[action][0]}")
    return action


def _write(store: Store, ids: list[str], action: Action, actor: str, role: Role,
           expected: Mapping[str, int] | None, values: dict, now: dt.datetime
           ) -> list[ExceptionEvent]:
    try:
        with Session(store.engine, expire_on_commit=False) as session, session.begin():
            # writers queue instead of colliding: SQLite takes its one write lock before the
            # read (a deferred transaction would read, then lose the race for the lock);
            # PostgreSQL locks the rows we rewrite (FOR UPDATE) when no version was expected
            if store.engine.dialect.name == "sqlite":
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            current = {row.exception_id: row
                       for row in _states(session, ids, lock=expected is None)}
            if action != Action.COMMENT:  # a comment changes no state: nothing to overwrite
                _refuse_stale(ids, current, expected)
            _refuse_invalid(ids, current, action)
            events = [_apply(session, x, current.get(x), action, actor, role, values, now)
                      for x in ids]
            session.add_all(events)
        return events
    except IntegrityError:  # someone created the state row between our read and our insert
        raise Conflict(ids) from None


def _refuse_stale(ids: list[str], current: dict[str, ExceptionState],
                  expected: Mapping[str, int] | None) -> None:
    if expected is None:
        return
    stale = [x for x in ids if _version(current.get(x)) != expected.get(x, 0)]
    if stale:
        raise Conflict(stale)


def _refuse_invalid(ids: list[str], current: dict[str, ExceptionState], action: Action) -> None:
    status = {x: current[x].status if x in current else Status.OPEN.value for x in ids}
    if action == Action.RESOLVE:
        done = [x for x in ids if status[x] == Status.RESOLVED]
        if done:
            raise InvalidAction(f"already resolved: {', '.join(done[:5])}")
    if action == Action.REOPEN:
        not_resolved = [x for x in ids if status[x] != Status.RESOLVED]
        if not_resolved:
            raise InvalidAction(f"not resolved, nothing to reopen: {', '.join(not_resolved[:5])}")


def _apply(session: Session, exception_id: str, row: ExceptionState | None, action: Action,
           actor: str, role: Role, values: dict, now: dt.datetime) -> ExceptionEvent:
    """Write the new state (conditional on the version read) and return the event to add."""
    version = _version(row)
    if action == Action.COMMENT:  # a comment changes no state, so it never conflicts
        return ExceptionEvent(exception_id=exception_id, action=action.value, actor=actor,
                              role=role.value, at=now, comment=values["comment"], version=version)
    new = _transition(row, action, values) | {"version": version + 1, "updated_at": now,
                                              "updated_by": actor}
    if row is None:
        session.execute(insert(ExceptionState).values(exception_id=exception_id, **new))
    else:
        done = session.execute(update(ExceptionState)
                               .where(col(ExceptionState.exception_id) == exception_id,
                                      col(ExceptionState.version) == version)
                               .values(**new))
        if done.rowcount != 1:
            raise Conflict([exception_id])
    return ExceptionEvent(exception_id=exception_id, action=action.value, actor=actor,
                          role=role.value, at=now, version=version + 1, **values)


def _transition(row: ExceptionState | None, action: Action, values: dict) -> dict:
    now = {"status": row.status if row else Status.OPEN.value,
           "assignee": row.assignee if row else None, "queue": row.queue if row else None,
           "reason": row.reason if row else None}
    if action == Action.ASSIGN:
        now["assignee"] = values["assignee"].strip()
        now["queue"] = (values["queue"] or "").strip() or now["queue"]
    elif action == Action.ROUTE:
        now["queue"] = values["queue"].strip()
    elif action == Action.RESOLVE:
        now["status"], now["reason"] = Status.RESOLVED.value, values["reason"].strip()
    elif action == Action.REOPEN:
        now["status"], now["reason"] = Status.OPEN.value, None
    return now


def _states(session: Session, ids: Iterable[str] | None, lock: bool = False
            ) -> list[ExceptionState]:
    if ids is None:
        return list(session.exec(select(ExceptionState)).all())
    ids = list(ids)
    rows: list[ExceptionState] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        query = select(ExceptionState).where(col(ExceptionState.exception_id).in_(chunk))
        rows += session.exec(query.with_for_update() if lock else query).all()
    return rows


def _version(row: ExceptionState | None) -> int:
    return row.version if row is not None else 0


def _as_state(row: ExceptionState) -> State:
    return State(exception_id=row.exception_id, status=row.status, assignee=row.assignee,
                 queue=row.queue, reason=row.reason, version=row.version,
                 updated_at=_utc(row.updated_at), updated_by=row.updated_by)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes: every stored time is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
