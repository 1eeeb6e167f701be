"""Caching between pages and ``queries``: one read-only connection per published file, figures per run.

A published file never changes, so everything read from it is cached under its path (plus its
modification stamp, in case a file is ever replaced in place) and run id; a new publish moves the
CURRENT pointer to a new file, which is a new key, so the next rerun shows the new figures without
anyone clearing a cache. The pointer itself is read on every rerun (one small file), which is how
a page notices a new publish.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from app import exports, queries, queries_latency
from app.queries import AgeStats, AgingPolicy, Filters, RunInfo
from jobs import published, workflow
from jobs.settings import Settings

CACHE_TTL = "1h"  # bounds memory; a new publish needs no expiry to show (new key)


@dataclass(frozen=True)
class Published:
    """The run a page shows: its file, identity, and the SLA policy to age exceptions with."""

    path: str
    stamp: int  # modification time (ns) of the file: part of every cache key
    run: RunInfo
    policy: AgingPolicy


@dataclass(frozen=True)
class Overview:
    """Everything the Overview page shows, for one run and one set of filters."""

    totals: pd.DataFrame      # one row: records, matched, match_rate
    exceptions: pd.DataFrame  # one row: exceptions, sla_breaches
    age: AgeStats
    amounts: pd.DataFrame     # per currency, see queries.currency_amounts
    by_workflow: pd.DataFrame
    by_cause: pd.DataFrame
    aging: pd.DataFrame
    trend: pd.DataFrame
    by_queue: pd.DataFrame
    sync_latency: pd.DataFrame
    cycle_time: pd.DataFrame
    feed_latency: pd.DataFrame

    @property
    def currencies(self) -> list[str]:
        """Currencies in view, most records first."""
        return [c for c in self.amounts["currency"] if c is not None]

    def amounts_in(self, currency: str | None) -> dict[str, float]:
        """One currency's row of ``amounts`` as a dict (empty if that currency is not in view)."""
        rows = self.amounts[self.amounts["currency"] == currency]
        return rows.iloc[0].to_dict() if len(rows) else {}

    def total(self, column: str) -> float:
        """A figure from the one-row totals (match rate or open exceptions)."""
        frame = self.totals if column in self.totals.columns else self.exceptions
        return frame[column].iloc[0]


def load_settings() -> Settings:
    """Configuration as the jobs see it (``RECON_HOME``, ``RECON_CONFIG``, ``recon.toml``)."""
    return Settings.load()


def current(settings: Settings) -> Published | None:
    """The current published run, or None before the first publish."""
    path = published.current_path(settings.home)
    if path is None:
        return None
    stamp = path.stat().st_mtime_ns
    run = _run_info(str(path), stamp)
    if run is None:
        return None
    return Published(path=str(path), stamp=stamp, run=run,
                     policy=AgingPolicy.from_settings(settings))


def filter_options(pub: Published) -> dict[str, list[str]]:
    return _filter_options(pub.path, pub.stamp, pub.run.run_id)


def entity_names(pub: Published) -> dict[str, str]:
    return _entity_names(pub.path, pub.stamp, pub.run.run_id)


def overview(pub: Published, filters: Filters) -> Overview:
    return _overview(pub.path, pub.stamp, pub.run.run_id, filters, pub.policy)


# --- cached functions -------------------------------------------------------------------------
# ``stamp`` and ``run_id`` are unused in the bodies on purpose: they are part of the cache key.

@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str, stamp: int) -> duckdb.DuckDBPyConnection:
    """One read-only connection per published file; evicted ones close when collected."""
    return duckdb.connect(path, read_only=True)


def _read(path: str, stamp: int, fn: Callable[..., Any], *args: Any) -> Any:
    """Run one query function on its own cursor: a DuckDB connection is not thread-safe."""
    with _connection(path, stamp).cursor() as cur:
        return fn(cur, *args)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def _run_info(path: str, stamp: int) -> RunInfo | None:
    return _read(path, stamp, queries.run_info)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def _filter_options(path: str, stamp: int, run_id: str) -> dict[str, list[str]]:
    return _read(path, stamp, queries.filter_options)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner=False)
def _entity_names(path: str, stamp: int, run_id: str) -> dict[str, str]:
    return _read(path, stamp, queries.entity_names)


@st.cache_data(ttl=CACHE_TTL, max_entries=16, show_spinner="Reading the published run…")
def _latency(path: str, stamp: int, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's latency histograms (small): every filter's timeliness figures come from them."""
    return (_read(path, stamp, queries_latency.match_histogram),
            _read(path, stamp, queries_latency.feed_histogram))


@st.cache_data(ttl=CACHE_TTL, max_entries=256, show_spinner="Reading the published run…")
def _overview(path: str, stamp: int, run_id: str, filters: Filters,
              policy: AgingPolicy) -> Overview:
    matches, feeds = _latency(path, stamp, run_id)

    def build(con: duckdb.DuckDBPyConnection) -> Overview:
        return Overview(
            totals=queries.match_rate(con, filters),
            exceptions=queries.open_exceptions(con, filters, policy=policy),
            age=queries.exception_age(con, filters),
            amounts=queries.currency_amounts(con, filters, policy),
            by_workflow=queries.match_rate(con, filters, ["workflow"]),
            by_cause=queries.open_exceptions(con, filters, ["cause"], policy),
            aging=queries.open_exceptions(con, filters, ["age_bucket", "cause"], policy),
            trend=queries.match_rate(con, filters, ["entity", "period"]),
            by_queue=queries.open_exceptions(con, filters, ["queue"], policy),
            sync_latency=queries_latency.sync_latency(con, filters, matches),
            cycle_time=queries_latency.cycle_time(con, filters, matches),
            feed_latency=queries_latency.feed_latency(con, filters, feeds),
        )
    return _read(path, stamp, build)


# --- the other pages: per-run caching, and reads that include the workflow overlay ----------

def cached(pub: Published, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(cursor, *args)`` on the published run, cached per run and arguments.

    Only for reads of the published run alone: anything that joins the workflow store changes
    without a new publish, so it goes through ``read`` instead.
    """
    return _cached(pub.path, pub.stamp, pub.run.run_id, f"{fn.__module__}.{fn.__qualname__}",
                   fn, args)


def read(pub: Published, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(cursor, *args)`` on the published run, uncached (it reads the workflow overlay)."""
    return _read(pub.path, pub.stamp, fn, *args)


def store(settings: Settings) -> workflow.Store:
    """The workflow store for this home (``RECON_WORKFLOW_URL`` or ``<home>/workflow.sqlite``)."""
    return _store(workflow.store_url(settings.home))


def overlay(settings: Settings) -> pa.Table:
    """The workflow state of every acted-on exception, read fresh on each rerun (small)."""
    return workflow.overlay(store(settings))


@st.cache_resource(max_entries=4, show_spinner=False)
def _store(url: str) -> workflow.Store:
    return workflow.open_store(Path("."), url)


@st.cache_data(ttl=CACHE_TTL, max_entries=512, show_spinner="Reading the published run…")
def _cached(path: str, stamp: int, run_id: str, name: str, _fn: Callable[..., Any],
            args: tuple) -> Any:
    """``name`` (the function's qualified name) keys the cache; ``_fn`` itself is not hashed."""
    return _read(path, stamp, _fn, *args)


def exception_export(pub: Published, settings: Settings, report: dict[str, list[str]],
                     fmt: str, mask: bool) -> Callable[[], bytes]:
    """A callable making the exception report for a download button when it is clicked.

    It runs on another thread, outside the script run, so it holds the connection and store
    it needs instead of reaching for Streamlit's caches; the workflow state is read at click
    time, so the file matches what the screen shows after the latest action.
    """
    con = _connection(pub.path, pub.stamp)
    wf = store(settings)

    def make() -> bytes:
        with con.cursor() as cur:
            return exports.exceptions_bytes(cur, report, workflow.overlay(wf), fmt, mask)
    return make
