"""What is kept: the newest published runs, every close period's final results (for audit), and
record versions, replaced ones only within a configured window.

A close period's result is the last run published with an as-of date in that month; it is kept
as ``published/close/<YYYY-MM>.duckdb`` (a hard link, so pruning recent runs never removes it).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from connectors.canonical import TRANSACTION_TABLES
from jobs.published import published_dir
from jobs.settings import Settings


def close_dir(home: Path) -> Path:
    return published_dir(home) / "close"


def keep_close_period(settings: Settings, published: Path, as_of: dt.date) -> Path:
    """Make ``published`` the current result of its as-of month (replacing an earlier run)."""
    folder = close_dir(settings.home)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{as_of:%Y-%m}.duckdb"
    tmp = target.with_suffix(".link")
    tmp.unlink(missing_ok=True)
    os.link(published, tmp)
    os.replace(tmp, target)
    if settings.retention.close_periods:
        periods = sorted(folder.glob("*.duckdb"))
        for old in periods[:-settings.retention.close_periods]:
            old.unlink(missing_ok=True)
    return target


def prune_versions(con: duckdb.DuckDBPyConnection, settings: Settings,
                   now: dt.datetime | None = None) -> int:
    """Delete record versions superseded longer ago than the window; current versions stay."""
    days = settings.retention.superseded_versions_days
    if not days:
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    deleted = 0
    for table in TRANSACTION_TABLES:
        deleted += con.execute(f"""
            DELETE FROM "{table}" t WHERE t.extracted_at < ? AND EXISTS (
                SELECT 1 FROM "{table}" n WHERE n.record_id = t.record_id
                  AND n.extracted_at > t.extracted_at)""", [cutoff]).fetchone()[0]
    return deleted


def replay_window_start(settings: Settings, now: dt.datetime | None = None) -> dt.datetime | None:
    """Snapshots extracted before this may have lost replaced versions: not replayable."""
    days = settings.retention.superseded_versions_days
    return None if not days else (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
