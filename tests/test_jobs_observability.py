"""Feed observability: freshness against the schedule, volume against recent snapshots, drift of
the raw payloads' shape, and the alert rows they leave."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs import observability as obs
from jobs import warehouse
from jobs.settings import Settings, Trigger
from tests.rows import bank, erp, load

NOW = dt.datetime(2026, 1, 31, 10, 20, tzinfo=dt.UTC)  # a Saturday


@pytest.fixture
def con(tmp_path):
    con = warehouse.connect(tmp_path)
    yield con
    con.close()


@pytest.fixture
def settings(tmp_path):
    return Settings.load(home=tmp_path)


def add_snapshot(con, snapshot_id, system, extracted_at, status="ok", n=0, connector="test",
                 source=None):
    con.execute("INSERT INTO snapshot (snapshot_id, source_system, connector, source, content_hash, "
                "extracted_at, record_count, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [snapshot_id, system, connector, source or f"{snapshot_id}.dat", snapshot_id,
                 extracted_at, n, status])


def bank_file(con, snapshot_id, rows, extracted_at, account="DE001", raw=None):
    """A statement file of ``rows`` transactions; ``raw`` is one payload or a list to cycle."""
    raws = raw if isinstance(raw, list) else [raw]
    add_snapshot(con, snapshot_id, "bank", extracted_at, n=rows, connector="camt053")
    load(con, "bank_transaction", [
        {**bank(f"{snapshot_id}-{i}", "10", "2026-01-20", account=account),
         "snapshot_id": snapshot_id, "extracted_at": extracted_at, "raw": raws[i % len(raws)]}
        for i in range(rows)])


# --- freshness ----------------------------------------------------------------------------


def test_stale_interval_feed_is_reported_with_its_age_and_allowance(con, settings):
    add_snapshot(con, "s1", "bank", NOW - dt.timedelta(hours=3, minutes=20))
    add_snapshot(con, "s2", "erp", NOW - dt.timedelta(minutes=40))
    alerts = obs.freshness(con, settings, NOW)
    assert alerts == [obs.Alert("bank", "freshness", "critical",
                                "bank: last snapshot 3h20m ago, schedule allows 1h "
                                "(every 15m: 2 intervals + 30m grace)")]


def test_cron_feed_may_miss_one_fire_but_not_two(con, settings):
    # procurement runs hourly ("0 * * * *"): at 10:20 the fires were 10:00 and 09:00.
    add_snapshot(con, "p1", "procurement", dt.datetime(2026, 1, 31, 8, 40, tzinfo=dt.UTC))
    assert obs.freshness(con, settings, NOW) == []
    stale = obs.freshness(con, settings, NOW + dt.timedelta(hours=1))
    assert [a.message for a in stale] == [
        "procurement: last snapshot 2h40m ago, schedule allows 1h50m (cron '0 * * * *': since "
        "the fire before last, 2026-01-31 10:00 UTC, + 30m grace)"]


def test_only_quarantined_or_held_back_files_mean_no_valid_snapshot(con, settings):
    add_snapshot(con, "q1", "billing", NOW, status="quarantined")
    add_snapshot(con, "h1", "billing", NOW, status="held_back")
    [alert] = obs.freshness(con, settings, NOW)
    assert alert.message == ("billing: no valid snapshot yet; all 2 file(s) were quarantined or "
                             "held back")


def test_a_source_that_never_delivered_is_not_reported(con, settings):
    assert obs.freshness(con, settings, NOW) == []


def test_allowed_age():
    assert obs.allowed_age(Trigger(interval_minutes=30, grace_minutes=0), NOW)[0] == dt.timedelta(hours=1)
    nightly = obs.allowed_age(Trigger(cron="0 2 * * *", grace_minutes=15), NOW)[0]
    assert nightly == dt.timedelta(days=1, hours=8, minutes=35)  # since Jan 30 02:00, + 15m


@pytest.mark.parametrize("cron, expected", [
    ("0 * * * *", ["2026-01-31 10:00", "2026-01-31 09:00"]),
    ("*/15 9-17 * * mon-fri", ["2026-01-30 17:45", "2026-01-30 17:30"]),
    ("30 6 1 * *", ["2026-01-01 06:30", "2025-12-01 06:30"]),
    ("0 0 13 * 5", ["2026-01-30 00:00", "2026-01-23 00:00"]),  # day 13 OR a Friday
    ("0 12 * * 0", ["2026-01-25 12:00", "2026-01-18 12:00"]),
])
def test_previous_fire_times(cron, expected):
    got = obs.previous_fire_times(cron, NOW, 2)
    assert [f"{t:%Y-%m-%d %H:%M}" for t in got] == expected


def test_human_durations():
    assert [obs.human(dt.timedelta(minutes=m)) for m in (0, 45, 60, 200, 60 * 24 * 2 + 240)] == [
        "<1m", "45m", "1h", "3h20m", "2d4h"]


# --- volume -------------------------------------------------------------------------------


def test_volume_far_below_recent_snapshots_is_reported(con):
    for i, n in enumerate([10, 12, 11, 9, 10]):
        bank_file(con, f"s{i}", n, NOW - dt.timedelta(days=5 - i))
    bank_file(con, "s_other", 1, NOW, account="GB999")  # another account is another feed
    assert obs.volume(con, 7) == []
    bank_file(con, "s_last", 3, NOW + dt.timedelta(hours=1))
    [alert] = obs.volume(con, 7)
    assert alert.kind == "volume" and alert.severity == "warning"
    assert alert.message == (
        "bank: bank_transaction from camt053 (DE001) snapshot s_last (s_last.dat) has 3 rows; "
        "the previous 5 had 9 to 12 (alert below 4.5 or above 24)")


def test_volume_window_and_spikes(con):
    for i, n in enumerate([100, 100, 5, 5, 5]):
        bank_file(con, f"s{i}", n, NOW - dt.timedelta(days=5 - i))
    bank_file(con, "s_last", 11, NOW)
    assert obs.volume(con, 7) == []           # 11 is within 2 x 100
    assert len(obs.volume(con, 3)) == 1       # the last 3 were 5, 5, 5: 11 > 10


def test_reference_files_are_feeds_by_name(con):
    for i in range(4):
        add_snapshot(con, f"fx{i}", "reference", NOW - dt.timedelta(days=4 - i), n=300,
                     source="/in/reference/fx_rates.csv")
        add_snapshot(con, f"cu{i}", "reference", NOW - dt.timedelta(days=4 - i), n=20,
                     source="/in/reference/customers.csv")
    assert obs.volume(con, 7) == []


# --- drift --------------------------------------------------------------------------------


RAW = {"entry": {"amount": "10.00", "ref": "A1", "seq": 1}, "detail": {"name": "ACME"}}


def test_schema_drift_names_added_removed_and_retyped_fields(con):
    bank_file(con, "s1", 2, NOW - dt.timedelta(days=1), raw=RAW)
    changed = {"entry": {"amount": 10.0, "ref": "A1", "seq": 1, "purpose": "SALA"}}
    bank_file(con, "s2", 2, NOW, raw=changed)
    [alert] = obs.drift(con)
    assert alert.kind == "schema_drift" and alert.severity == "warning"
    assert alert.message == (
        "bank: raw fields of bank_transaction from camt053 (DE001) changed from snapshot s1 "
        "(s1.dat) to s2 (s2.dat): added entry.purpose; removed detail; "
        "retyped entry.amount string→number")


def test_optional_fields_coming_and_going_are_not_drift(con):
    bank_file(con, "s1", 4, NOW - dt.timedelta(days=1), raw=[RAW, {"entry": RAW["entry"]}])
    bank_file(con, "s2", 3, NOW, raw={"entry": {**RAW["entry"], "amount": None}})
    assert obs.drift(con) == []  # detail was in half the rows; a null amount is no new type
    bank_file(con, "s3", 3, NOW + dt.timedelta(days=1), raw={"entry": {"ref": "A2"}})
    [alert] = obs.drift(con)
    assert alert.message.endswith("to s3 (s3.dat): removed entry.amount, entry.seq")


def test_shape_counts_how_often_each_field_is_present(con):
    bank_file(con, "s1", 3, NOW, raw=RAW)
    bank_file(con, "s2", 1, NOW, raw={"entry": {"ref": 7}, "detail": None})
    shape = obs.shape(con, "bank_transaction", "s1")
    assert shape.share == {"entry": 1, "entry.amount": 1, "entry.ref": 1, "entry.seq": 1,
                           "detail": 1, "detail.name": 1}
    assert shape.types["entry.seq"] == {"number"}
    assert obs.shape(con, "bank_transaction", "s2").types["detail"] == frozenset()


def test_flatten():
    assert obs.flatten({"a": "VARCHAR", "b": [{"c": "UBIGINT"}], "d": "NULL"}) == {
        "a": "string", "b[]": "object", "b[].c": "number", "d": "null"}


# --- the alert table ----------------------------------------------------------------------


def test_check_sources_stores_each_alert(con, settings):
    add_snapshot(con, "s1", "bank", NOW - dt.timedelta(hours=5))
    load(con, "ledger_line", [erp("D1", "1", "2026-01-10")])
    alerts = obs.check_sources(con, settings, "r1", NOW)
    rows = con.execute("SELECT run_id, source_system, kind, severity, message, created_at "
                       "FROM data_quality_alert").fetchall()
    assert rows == [("r1", a.source_system, a.kind, a.severity, a.message, NOW) for a in alerts]
    assert [a.kind for a in alerts] == ["freshness"]
