"""One reconciliation cycle as an explicit, ordered list of stages (SPEC §2).

ingest → match → persist → publish. Every stage is timed; the run is logged in ``job_run``.
Expected failures (a rejected file, a failed expectation) are results, not crashes.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from jobs import warehouse
from jobs.engines import match
from jobs.matching.lifecycle import persist
from jobs.observability import check_sources
from jobs.publish import publish
from jobs.retention import keep_close_period, prune_versions
from jobs.settings import Settings
from jobs.snapshot import IngestReport, ingest
from jobs.validate import ValidationReport, validate

Progress = Callable[[str, str], None]


@dataclass
class RunSummary:
    run_id: str
    as_of: dt.date
    ingest: IngestReport = field(default_factory=IngestReport)
    seconds: dict[str, float] = field(default_factory=dict)
    records_by_system: dict[str, int] = field(default_factory=dict)
    matched_records: int = 0
    match_groups: int = 0
    exceptions_by_cause: Counter = field(default_factory=Counter)
    published: Path | None = None
    validation: ValidationReport | None = None
    alerts: list = field(default_factory=list)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("r%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


def log_start(con, run_id, job, trigger, as_of) -> None:
    """Open a job_run row (a run, a replay) as running; the caller ends it."""
    con.execute("INSERT INTO job_run (run_id, job, trigger, started_at, status, as_of, attempt) "
                "VALUES (?, ?, ?, ?, 'running', ?, 1)",
                [run_id, job, trigger, dt.datetime.now(dt.UTC), as_of])


def _log_end(con, run_id, status, summary: RunSummary | None, error: BaseException | None) -> None:
    rows_in = sum(summary.ingest.rows.values()) if summary else None
    rows_out = (summary.matched_records + sum(summary.exceptions_by_cause.values())) if summary else None
    api_errors = summary.ingest.api_errors if summary else []
    if status == "success" and api_errors:
        status = "partial"  # by choice: a failing API must not hide the other sources' results
    message = (f"{type(error).__name__}: {error}" if error is not None
               else "; ".join(api_errors) or None)
    con.execute(
        "UPDATE job_run SET ended_at = ?, status = ?, rows_in = ?, rows_out = ?, error = ?, "
        "traceback = ?, stages = ?, retries = ? WHERE run_id = ?",
        [dt.datetime.now(dt.UTC), status, rows_in, rows_out, message,
         None if error is None else "".join(traceback.format_exception(error)),
         None if summary is None else {k: round(v, 3) for k, v in summary.seconds.items()},
         len(summary.ingest.api_retries) if summary else None, run_id])


def _summarise(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    summary.records_by_system = dict(con.execute(
        "SELECT source_system, count(*) FROM recon__scope GROUP BY 1 ORDER BY 1").fetchall())
    summary.matched_records, summary.match_groups = con.execute(
        "SELECT count(*), count(DISTINCT match_id) FROM recon__groups").fetchone()
    summary.exceptions_by_cause = Counter(dict(con.execute(
        "SELECT cause, count(*) FROM recon__exc_now GROUP BY 1").fetchall()))


LOCK_RETRIES = 6


def connect_with_retry(settings: Settings, attempts: int = LOCK_RETRIES, base_delay: float = 0.5):
    """Open the warehouse, waiting with exponential backoff while another process holds it."""
    for attempt in range(1, attempts + 1):
        try:
            return warehouse.connect(settings.home, memory_limit=settings.warehouse.memory_limit,
                                     threads=settings.warehouse.threads)
        except duckdb.IOException as err:
            if "lock" not in str(err).lower() or attempt == attempts:
                raise
            time.sleep(base_delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def close_interrupted(con) -> None:
    """A run still 'running' when we hold the single writer lock was killed: say so."""
    con.execute("UPDATE job_run SET status = 'interrupted', ended_at = ?, "
                "error = 'the process ended before the run finished' WHERE status = 'running'",
                [dt.datetime.now(dt.UTC)])


def run_cycle(settings: Settings, sources: Path, as_of: dt.date | None = None,
              trigger: str = "manual", progress: Progress | None = None,
              systems: list[str] | None = None) -> RunSummary:
    """Ingest ``sources`` (or only ``systems`` of it), match, persist and publish."""
    as_of = as_of or dt.datetime.now(dt.UTC).date()
    summary = RunSummary(run_id=new_run_id(), as_of=as_of)
    say = progress or (lambda stage, msg: None)
    con = connect_with_retry(settings)
    try:
        close_interrupted(con)
        log_start(con, summary.run_id, "run", trigger, as_of)
        try:
            _stages(con, settings, sources, summary, say, systems)
        except BaseException as err:
            _log_end(con, summary.run_id, "failed", summary, err)
            raise
        _log_end(con, summary.run_id, "success", summary, None)
        return summary
    finally:
        con.close()


def _timed(summary: RunSummary, stage: str, fn, *args):
    started = time.perf_counter()
    try:
        return fn(*args)
    finally:
        summary.seconds[stage] = time.perf_counter() - started


def _stages(con, settings: Settings, sources: Path, summary: RunSummary, say: Progress,
            systems: list[str] | None = None) -> None:
    say("ingest", f"reading {sources}")
    summary.ingest = _timed(summary, "ingest", ingest, con, sources, summary.run_id, None, None,
                            lambda i, n, path: say("ingest", f"[{i}/{n}] {Path(path).name}"),
                            systems, settings)
    say("validate", "running the expectation suites on new snapshots")
    summary.validation = _timed(summary, "validate", validate, con, settings, summary.run_id,
                                summary.as_of)
    summary.alerts = _timed(summary, "observe", check_sources, con, settings, summary.run_id)
    say("match", "matching all workflows")
    _timed(summary, "match", match, con, settings, summary.as_of)
    _summarise(con, summary)
    say("persist", "storing groups and exceptions")
    _timed(summary, "persist", persist, con, summary.run_id, summary.as_of)
    say("publish", "publishing the run for readers")
    info = {"sources": str(sources), "records_in": sum(summary.records_by_system.values()),
            "matched_records": summary.matched_records,
            "open_exceptions": sum(summary.exceptions_by_cause.values()),
            "stages": summary.seconds}
    summary.published = _timed(summary, "publish", publish, con, settings, summary.run_id,
                               summary.as_of, info)
    keep_close_period(settings, summary.published, summary.as_of)
    prune_versions(con, settings)
