"""Feed observability: is each source fresh, of its usual size, and shaped as before? (SPEC §7)

Three checks per source system, each finding a ``data_quality_alert`` row whose message a person
can act on: freshness (the last good snapshot is older than the schedule allows), volume (the
latest snapshot of a feed is far outside the sizes of its recent ones) and schema drift (the raw
payloads gained, lost or retyped fields since the feed's previous snapshot).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

from jobs.settings import Settings, Trigger
from jobs.validation_checks import ensure_tables

LOW, HIGH = 0.5, 2.0
"""Volume bounds: below half the smallest or above twice the largest recent snapshot."""
DRIFT_SAMPLE = 2000
"""Raw payloads read per snapshot to learn its shape (json_structure costs ~4 µs a row)."""
STEADY = 0.95
"""A field in this share of a snapshot's rows is part of its schema; rarer ones are optional."""
SHOWN = 5

# A feed is one stream of like files: the same connector writing the same table, for the same
# bank account, company code or Stripe object kind. Comparing a receipts file with a PO file, or
# one account's statement with another's, would raise alerts about nothing.
FEEDS = {
    "bank_transaction": "account",
    "ledger_line": "company_code",
    "billing_event": "kind",
    "purchase_order": "NULL",
    "receipt": "NULL",
    "supplier_invoice": "NULL",
}


@dataclass(frozen=True)
class Alert:
    source_system: str
    kind: str
    severity: str
    message: str


def check_sources(con: duckdb.DuckDBPyConnection, settings: Settings, run_id: str,
                  now: dt.datetime | None = None) -> list[Alert]:
    """Run freshness, volume and drift checks and store each finding as a data_quality_alert."""
    now = now or dt.datetime.now(dt.UTC)
    ensure_tables(con)
    alerts = (freshness(con, settings, now) + volume(con, settings.validation.volume_window)
              + drift(con))
    if alerts:
        con.executemany("INSERT INTO data_quality_alert VALUES (?, ?, ?, ?, ?, ?)",
                        [[run_id, a.source_system, a.kind, a.severity, a.message, now]
                         for a in alerts])
    return alerts


# --- freshness ----------------------------------------------------------------------------


def freshness(con, settings: Settings, now: dt.datetime) -> list[Alert]:
    """One alert per source whose last ok snapshot is older than its schedule allows."""
    seen = {system: (last, total) for system, last, total in con.execute(
        "SELECT source_system, max(extracted_at) FILTER (WHERE status = 'ok'), count(*) "
        "FROM snapshot GROUP BY 1").fetchall()}
    alerts = []
    for system, trigger in settings.schedules.items():
        if system not in seen:
            continue  # by choice: a feed that never delivered anything is not configured here
        last, total = seen[system]
        allowed, how = allowed_age(trigger, now)
        if last is None:
            alerts.append(Alert(system, "freshness", "critical",
                                f"{system}: no valid snapshot yet; all {total} file(s) were "
                                "quarantined or held back"))
        elif now - last > allowed:
            alerts.append(Alert(system, "freshness", "critical",
                                f"{system}: last snapshot {human(now - last)} ago, schedule allows "
                                f"{human(allowed)} ({how})"))
    return alerts


def allowed_age(trigger: Trigger, now: dt.datetime) -> tuple[dt.timedelta, str]:
    """How old the last snapshot may be: two missed runs plus the grace, and why."""
    grace = dt.timedelta(minutes=trigger.grace_minutes)
    if trigger.interval_minutes is not None:
        every = dt.timedelta(minutes=trigger.interval_minutes)
        return 2 * every + grace, f"every {human(every)}: 2 intervals + {human(grace)} grace"
    fires = previous_fire_times(trigger.cron or "", now, 2)
    if len(fires) < 2:
        return dt.timedelta.max, f"cron '{trigger.cron}' has not fired twice yet"
    return (now - fires[1]) + grace, (f"cron '{trigger.cron}': since the fire before last, "
                                      f"{fires[1]:%Y-%m-%d %H:%M} UTC, + {human(grace)} grace")


def human(delta: dt.timedelta) -> str:
    """3h20m, 2d4h, 45m: coarse on purpose, it goes into a sentence."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h{mins}m" if mins else f"{hours}h"
    return f"{mins}m" if mins else "<1m"


_NAMES = {**{m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
    **{d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())}}


def _field(text: str, lo: int, hi: int) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        body, _, step = part.partition("/")
        if body == "*":
            first, last = lo, hi
        else:
            a, _, b = body.partition("-")
            first = int(_NAMES.get(a, a))
            last = int(_NAMES.get(b, b)) if b else (hi if step else first)
        values.update(range(first, last + 1, int(step or 1)))
    return values


def previous_fire_times(cron: str, before: dt.datetime, count: int) -> list[dt.datetime]:
    """The last ``count`` fire times of a 5-field cron expression (UTC) at or before ``before``,
    most recent first; the scheduler interprets the same expressions in UTC."""
    minute, hour, dom, month, dow = cron.split()
    minutes, hours = sorted(_field(minute, 0, 59), reverse=True), sorted(_field(hour, 0, 23), reverse=True)
    days, months = _field(dom, 1, 31), _field(month, 1, 12)
    weekdays = {d % 7 for d in _field(dow, 0, 7)}
    either = dom != "*" and dow != "*"  # cron: a restricted day-of-month OR day-of-week matches
    fires: list[dt.datetime] = []
    day = before.astimezone(dt.UTC).date()
    for _ in range(5 * 366):
        in_dom, in_dow = day.day in days, (day.weekday() + 1) % 7 in weekdays
        if day.month in months and ((in_dom or in_dow) if either else (in_dom and in_dow)):
            for h in hours:
                for m in minutes:
                    at = dt.datetime(day.year, day.month, day.day, h, m, tzinfo=dt.UTC)
                    if at <= before:
                        fires.append(at)
                        if len(fires) == count:
                            return fires
        day -= dt.timedelta(days=1)
    return fires


# --- volume and drift -----------------------------------------------------------------------


def _feed_snapshots_sql() -> str:
    """Every non-quarantined snapshot with its feed key and row count, oldest first."""
    parts = " UNION ALL ".join(
        f"SELECT snapshot_id, '{table}' AS tbl, CAST(mode({qualifier}) AS VARCHAR) AS qualifier, "  # noqa: S608
        f'count(*) AS n FROM "{table}" GROUP BY snapshot_id'
        for table, qualifier in FEEDS.items())
    return f"""
        SELECT s.snapshot_id, s.source_system, s.connector, s.source,
               coalesce(c.tbl, regexp_extract(s.source, '[^/\\\\]+$')) AS tbl, c.qualifier,
               coalesce(c.n, s.record_count) AS n
        FROM snapshot s LEFT JOIN (
            SELECT * FROM ({parts})
            QUALIFY row_number() OVER (PARTITION BY snapshot_id ORDER BY n DESC, tbl) = 1
        ) c USING (snapshot_id)
        WHERE s.status <> 'quarantined'
        ORDER BY s.extracted_at, s.source, s.snapshot_id"""  # noqa: S608


def _feeds(con) -> dict[tuple, list[tuple]]:
    feeds: dict[tuple, list[tuple]] = {}
    for snapshot_id, system, connector, source, tbl, qualifier, n in con.execute(
            _feed_snapshots_sql()).fetchall():
        feeds.setdefault((system, connector, tbl, qualifier), []).append((snapshot_id, source, n))
    return feeds


def _feed_name(key: tuple) -> str:
    system, connector, tbl, qualifier = key
    return f"{tbl} from {connector}" + (f" ({qualifier})" if qualifier else "")


def volume(con, window: int) -> list[Alert]:
    """One alert per feed whose latest snapshot is far outside its last ``window`` sizes."""
    alerts = []
    for key, snaps in _feeds(con).items():
        history = [n for _, _, n in snaps[-window - 1:-1]]
        if len(history) < 2:
            continue  # too little history to know what usual is
        snapshot_id, source, n = snaps[-1]
        low, high = LOW * min(history), HIGH * max(history)
        if n < low or n > high:
            alerts.append(Alert(key[0], "volume", "warning", (
                f"{key[0]}: {_feed_name(key)} snapshot {snapshot_id} ({source}) has {n:,} rows; "
                f"the previous {len(history)} had {min(history):,} to {max(history):,} "
                f"(alert below {_number(low)} or above {_number(high)})")))
    return alerts


def _number(x: float) -> str:
    return f"{x:,.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Shape:
    """What a snapshot's raw payloads look like: for each field path, the share of sampled rows
    that carry it and the non-null types seen."""

    share: dict[str, float]
    types: dict[str, frozenset[str]]


def shape(con, table: str, snapshot_id: str) -> Shape:
    """The Shape of a sample of one snapshot's raw payloads (one structure per distinct row shape)."""
    rows = con.execute(
        f'SELECT CAST(json_structure(raw) AS VARCHAR), count(*) FROM (SELECT raw FROM "{table}" '  # noqa: S608
        "WHERE snapshot_id = ? AND raw IS NOT NULL LIMIT ?) GROUP BY 1",
        [snapshot_id, DRIFT_SAMPLE]).fetchall()
    total = sum(n for _, n in rows) or 1
    seen: dict[str, int] = {}
    types: dict[str, set[str]] = {}
    for text, n in rows:
        for path, kind in flatten(json.loads(text)).items():
            seen[path] = seen.get(path, 0) + n
            types.setdefault(path, set()).update({kind} - {"null"})
    return Shape({p: c / total for p, c in seen.items()},
                 {p: frozenset(t) for p, t in types.items()})


_TYPES = {"VARCHAR": "string", "BOOLEAN": "boolean", "NULL": "null"}


def flatten(node, prefix: str = "") -> dict[str, str]:
    """{"a": {"b": "BIGINT"}, "c": ["VARCHAR"]} → {"a": "object", "a.b": "number", "c[]": "string"}."""
    if isinstance(node, dict):
        out = {prefix: "object"} if prefix else {}
        for key, child in node.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(node, list):
        return flatten(node[0] if node else "NULL", prefix + "[]")
    return {prefix: _TYPES.get(node, "number" if "INT" in node or node in ("DOUBLE", "FLOAT")
                                else node.lower())}


def _under(path: str, prefixes: set[str]) -> bool:
    """True when ``path`` lies inside one of ``prefixes`` ("a.b" and "a[].b" are inside "a")."""
    return any(path.startswith(q) and path[len(q):len(q) + 1] in (".", "[") for q in prefixes
               if len(q) < len(path))


def _shown(paths: list[str]) -> str:
    more = f" (+{len(paths) - SHOWN} more)" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


def compare(old: Shape, new: Shape) -> list[str]:
    """Sentences for fields added, removed and retyped between two shapes.

    By choice only steady fields count: added means absent before and in (nearly) every row now,
    removed the reverse. Optional fields (a camt element some entries carry, an ERP column often
    left empty) come and go between files without meaning anything.
    """
    def appeared(mine: Shape, other: Shape) -> list[str]:
        paths = {p for p, share in mine.share.items() if share >= STEADY and p not in other.share}
        return sorted(p for p in paths if not _under(p, paths))  # outermost only

    retyped = [f"{p} {'/'.join(sorted(old.types[p]))}→{'/'.join(sorted(new.types[p]))}"
               for p in sorted(old.types.keys() & new.types.keys())
               if old.types[p] and new.types[p] and not old.types[p] & new.types[p]]
    return [f"{label} {_shown(paths)}" for label, paths in
            (("added", appeared(new, old)), ("removed", appeared(old, new)), ("retyped", retyped))
            if paths]


def drift(con) -> list[Alert]:
    """One alert per feed whose latest snapshot's raw payloads differ in shape from the one before."""
    alerts = []
    for key, snaps in _feeds(con).items():
        if key[2] not in FEEDS or len(snaps) < 2:
            continue
        (prev_id, prev_source, _), (last_id, last_source, _) = snaps[-2], snaps[-1]
        old, new = shape(con, key[2], prev_id), shape(con, key[2], last_id)
        changes = compare(old, new) if old.share and new.share else []
        if changes:
            alerts.append(Alert(key[0], "schema_drift", "warning", (
                f"{key[0]}: raw fields of {_feed_name(key)} changed from snapshot {prev_id} "
                f"({prev_source}) to {last_id} ({last_source}): " + "; ".join(changes))))
    return alerts
