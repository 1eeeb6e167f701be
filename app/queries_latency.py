"""Timeliness KPIs (SPEC §7): synchronization latency per source pair, reconciliation cycle time
per workflow, and feed latency per source, as medians and 95th percentiles in days.

The raw history is read once per published run, into two small histograms (how many matches or
records have each latency, per filterable dimension: a few thousand rows at millions of
records); every figure is then computed from them, for any filters, in milliseconds. The
percentiles are exact (the same interpolation as DuckDB's ``quantile_cont``): latencies are
counted per distinct value, not binned. Runs publish the histograms as tables
(``HISTOGRAM_TABLES``); for older runs they are computed from the raw history. No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd

from app.queries import Filters
from jobs.published import FEED_HISTOGRAM, HISTOGRAM_TABLES, MATCH_HISTOGRAM

MATCH_FILTERS = ("workflow", "currency")
RECORD_FILTERS = ("period", "entity", "workflow", "currency")
QUANTILES = (0.5, 0.95)


def match_histogram(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Matches per workflow, currency, source pair, latency and cycle time (``MATCH_HISTOGRAM``)."""
    return _histogram(con, "match", MATCH_HISTOGRAM)


def feed_histogram(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Records per source, period, entity, workflow, currency and feed latency."""
    return _histogram(con, "feed", FEED_HISTOGRAM)


def sync_latency(con: duckdb.DuckDBPyConnection | None, filters: Filters,
                 histogram: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days between the two sides of each match (earliest to latest member event), per source
    pair. Columns: ``pair, matches, p50, p95``; most matches first."""
    hist = _where(match_histogram(con) if histogram is None else histogram, filters,
                  MATCH_FILTERS)
    hist = hist[hist["left_system"].notna() & hist["right_system"].notna()]
    hist = hist.assign(pair=hist["left_system"] + " → " + hist["right_system"])
    out = _percentiles(hist, "pair", "latency_days", "matches")
    return out.sort_values(["matches", "pair"], ascending=[False, True], ignore_index=True)


def cycle_time(con: duckdb.DuckDBPyConnection | None, filters: Filters,
               histogram: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from the transaction date (earliest member) to matched, per workflow.

    The match date is when the matcher first made the match, capped at the run's as-of date
    so a run replaying the past is measured in its own time. Columns: ``workflow, matches,
    p50, p95``.
    """
    hist = _where(match_histogram(con) if histogram is None else histogram, filters,
                  MATCH_FILTERS)
    hist = hist[hist["cycle_days"].notna()]
    return _percentiles(hist, "workflow", "cycle_days", "matches")


def feed_latency(con: duckdb.DuckDBPyConnection | None, filters: Filters,
                 histogram: pd.DataFrame | None = None) -> pd.DataFrame:
    """Days from a record's business date to its snapshot, per source system.

    Columns: ``source_system, records, p50, p95``.
    """
    hist = _where(feed_histogram(con) if histogram is None else histogram, filters,
                  RECORD_FILTERS)
    return _percentiles(hist, "source_system", "lag_days", "records")


# --- building blocks ------------------------------------------------------------------------

def _histogram(con: duckdb.DuckDBPyConnection, kind: str, sql: str) -> pd.DataFrame:
    table = HISTOGRAM_TABLES[kind]
    published = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                            [table]).fetchone()[0]
    frame = con.execute(f"SELECT * FROM {table}" if published else sql).df()  # noqa: S608
    weight = "matches" if kind == "match" else "records"
    return frame.astype({weight: "int64"})


def _where(hist: pd.DataFrame, filters: Filters, dims: Sequence[str]) -> pd.DataFrame:
    """Rows of ``hist`` within ``filters`` (those of ``dims``; the others do not apply)."""
    keep = np.ones(len(hist), dtype=bool)
    for dim in dims:
        values = getattr(filters, dim)
        if values:
            keep &= hist[dim].isin(values).to_numpy()
    return hist[keep]


def _percentiles(hist: pd.DataFrame, by: str, value: str, weight: str) -> pd.DataFrame:
    """Per ``by``: the total ``weight`` and the p50, p95 of ``value`` weighted by it.

    Rows whose ``value`` is null count in the total but not in the percentiles (as
    ``count(*)`` and ``quantile_cont`` would on the raw rows). Ordered by ``by``.
    """
    rows = []
    for key, group in hist.groupby(by, sort=True):
        known = group[group[value].notna()]
        counts = known.groupby(value)[weight].sum().sort_index()
        rows.append((key, int(group[weight].sum()),
                     *(_quantile(counts.index.to_numpy(dtype=float), counts.to_numpy(), q)
                       for q in QUANTILES)))
    frame = pd.DataFrame(rows, columns=[by, weight, "p50", "p95"])
    return frame.astype({weight: "int64", "p50": "float64", "p95": "float64"})


def _quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``quantile_cont(x, q)`` of the multiset where ``values[i]`` occurs ``counts[i]`` times
    (``values`` ascending): interpolated between the order statistics at ``q * (n - 1)``."""
    n = int(counts.sum())
    if n == 0:
        return math.nan
    position = q * (n - 1)
    lower, upper = math.floor(position), math.ceil(position)
    ends = np.cumsum(counts)  # the order statistics 0 .. ends[i] - 1 are values[: i + 1]
    low = values[np.searchsorted(ends, lower, side="right")]
    high = values[np.searchsorted(ends, upper, side="right")]
    return float(low) if lower == upper else float(low + (position - lower) * (high - low))
