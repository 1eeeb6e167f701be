"""app.charts: figures from query-shaped frames, and the number formats the tiles use."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from app import charts
from jobs.published import AGE_BUCKETS


def test_match_rate_by_workflow():
    df = pd.DataFrame({"workflow": ["bank_to_ledger", "intercompany"], "records": [10, 4],
                       "matched": [9, 1], "match_rate": [0.9, 0.25]})
    fig = charts.match_rate_by_workflow(df)
    assert list(fig.data[0].x) == ["bank_to_ledger", "intercompany"]
    assert list(fig.data[0].text) == ["90.0%", "25.0%"]
    assert fig.layout.yaxis.tickformat == ".0%"


def test_exceptions_by_cause_keeps_cause_colours():
    df = pd.DataFrame({"cause": ["mapping_error", "timing_difference"], "exceptions": [3, 7],
                       "sla_breaches": [1, 0]})
    bar = charts.exceptions_by_cause(df).data[0]
    assert list(bar.y) == ["mapping_error", "timing_difference"]  # smallest first: top is largest
    assert list(bar.marker.color) == [charts.CAUSE_COLORS["mapping_error"],
                                      charts.CAUSE_COLORS["timing_difference"]]


def test_aging_is_stacked_in_bucket_order():
    df = pd.DataFrame({"age_bucket": [">90", "0-2", "0-2"], "cause": ["mapping_error"] * 2
                       + ["timing_difference"], "exceptions": [1, 2, 3], "sla_breaches": [1, 0, 0]})
    fig = charts.aging_by_cause(df)
    assert fig.layout.barmode == "stack"
    assert {t.name for t in fig.data} == {"mapping_error", "timing_difference"}
    assert list(fig.layout.xaxis.categoryarray) == list(AGE_BUCKETS)


def test_trend_has_one_line_per_entity():
    df = pd.DataFrame({"entity": ["DE01", "DE01", "US01"], "period": ["2025-10", "2025-09", "2025-10"],
                       "records": [4, 2, 5], "matched": [3, 2, 5], "match_rate": [0.75, 1.0, 1.0]})
    fig = charts.match_rate_trend(df, {"DE01": "Demo GmbH"})
    assert sorted(t.name for t in fig.data) == ["DE01 · Demo GmbH", "US01"]
    de = next(t for t in fig.data if t.name.startswith("DE01"))
    assert list(de.x) == ["2025-09", "2025-10"]


@pytest.mark.parametrize("builder", [charts.match_rate_by_workflow, charts.exceptions_by_cause,
                                     charts.aging_by_cause, charts.match_rate_trend])
def test_empty_frames_say_so(builder):
    fig = builder(pd.DataFrame())
    assert not fig.data
    assert fig.layout.annotations[0].text.startswith("No ")


def test_formats():
    assert charts.percent(0.74166) == "74.2%"
    assert charts.percent(math.nan) == charts.percent(None) == "—"
    assert charts.money(1234.5, "EUR") == "EUR 1,234.50"
    assert charts.money(172285300.0, "JPY") == "JPY 172,285,300"
    assert charts.money(None, "EUR") == charts.money(1.0, None) == "—"
    assert charts.count(12345) == "12,345"
    assert charts.days(8.0) == "8 days" and charts.days(73.6) == "73.6 days"
    assert charts.days(1) == "1 day" and charts.days(None) == "—"
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert charts.timestamp(dt.datetime(2025, 11, 14, 15, 0, tzinfo=tokyo)) == "2025-11-14 06:00 UTC"
