"""``recon replay``: rerun matching for a past snapshot, deterministically (SPEC §11, issue 6).

The warehouse keeps every snapshot, so the inputs of any past run can be rebuilt exactly: every
record version extracted up to the snapshot. Matching runs on them with the original run's as-of
date; the result is published beside the current run (never replacing it) and compared with the
original run's published results when those are still kept. Each replay is logged in job_run as
job 'replay' (success only when the results are identical, or no original is kept to compare).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from jobs.engines import match
from jobs.pipeline import close_interrupted, connect_with_retry, log_start, new_run_id
from jobs.publish import publish
from jobs.published import published_dir
from jobs.retention import replay_window_start
from jobs.settings import Settings


class ReplayError(Exception):
    """The snapshot cannot be replayed (unknown id, no run recorded for it)."""


@dataclass
class ReplayResult:
    run_id: str
    snapshot_id: str
    original_run: str | None
    as_of: dt.date
    published: Path
    compared: bool
    differences: list[str]

    @property
    def identical(self) -> bool:
        return not self.differences


def _target(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> tuple[dt.datetime, str | None, dt.date]:
    row = con.execute("SELECT extracted_at, run_id FROM snapshot WHERE snapshot_id = ?",
                      [snapshot_id]).fetchone()
    if row is None:
        raise ReplayError(f"snapshot {snapshot_id!r} is not in the warehouse")
    extracted_at, run_id = row
    as_of = con.execute("SELECT as_of FROM job_run WHERE run_id = ?", [run_id]).fetchone()
    if as_of is None or as_of[0] is None:
        raise ReplayError(f"snapshot {snapshot_id!r}: the run that read it ({run_id}) is not logged")
    return extracted_at, run_id, as_of[0]


def _outcome(con: duckdb.DuckDBPyConnection, groups: str, exceptions: str) -> tuple[set, set]:
    members = con.execute(f"""SELECT list(source_system || ':' || source_ref ORDER BY source_system,
                                     source_ref) FROM {groups} GROUP BY match_id""").fetchall()
    causes = con.execute(f"SELECT source_system, source_ref, cause, sub_cause FROM {exceptions}"
                         ).fetchall()
    return {tuple(m[0]) for m in members}, set(causes)


def _compare(con: duckdb.DuckDBPyConnection, original: Path) -> list[str]:
    con.execute("ATTACH '" + str(original).replace("'", "''") + "' AS orig (READ_ONLY)")
    try:
        new = _outcome(con, "recon__groups", "recon__exc_now")
        old = _outcome(con, "orig.match_member", "(SELECT * FROM orig.exception WHERE status = 'open')")
    finally:
        con.execute("DETACH orig")
    diffs = []
    if new[0] != old[0]:
        diffs.append(f"{len(new[0] ^ old[0])} match groups differ")
    if new[1] != old[1]:
        diffs.append(f"{len(new[1] ^ old[1])} exceptions differ")
    return diffs


def replay(settings: Settings, snapshot_id: str) -> ReplayResult:
    con = connect_with_retry(settings)
    run_id = "replay-" + new_run_id()
    try:
        close_interrupted(con)
        until, original_run, as_of = _target(con, snapshot_id)
        start = replay_window_start(settings)
        if start is not None and until < start:
            raise ReplayError(f"snapshot {snapshot_id!r} was extracted {until:%Y-%m-%d}, before the "
                              f"retention window ({settings.retention.superseded_versions_days} "
                              "days): the record versions it saw may have been pruned")
        log_start(con, run_id, "replay", f"replay:{snapshot_id}", as_of)
        try:
            match(con, settings, as_of, until=until)
            original = published_dir(settings.home) / f"{original_run}.duckdb"
            compared = original.exists()
            diffs = _compare(con, original) if compared else []
            path = publish(con, settings, run_id, as_of, {"sources": f"replay of {snapshot_id}"},
                           make_current=False, until=until, live=True)
        except Exception as err:
            _end(con, run_id, "failed", f"{type(err).__name__}: {err}")
            raise
        _end(con, run_id, "success" if not diffs else "failed",
             None if not diffs else "replay differs from the original run: " + "; ".join(diffs))
        return ReplayResult(run_id, snapshot_id, original_run, as_of, path, compared, diffs)
    finally:
        con.close()


def _end(con, run_id: str, status: str, error: str | None) -> None:
    con.execute("UPDATE job_run SET ended_at = ?, status = ?, error = ? WHERE run_id = ?",
                [dt.datetime.now(dt.UTC), status, error, run_id])
