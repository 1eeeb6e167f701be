"""Lineage (SPEC §8): from any identifier to the chain of records across systems, and its hops.

A search normalises the identifier the way publish does (upper-case letters and digits only) and
looks it up in ``lineage_key``; the chain then follows the published links: members of the same
match group, an exception's counterpart, and records sharing a correlation id. Every lookup is
by key or id and bounded by ``limit``, so a search stays fast at millions of records: what is
looked up is published sorted by the column compared (``lineage_key``, ``match_member``,
``match_group``, and the indexes into ``record`` of ``jobs.lineage.LOOKUPS``), and the values are
compared as a list of constants (``IN (?, ?)``), which DuckDB checks against each row group's
min/max to skip the others (``= ANY(?)`` with a list parameter becomes a join that reads the
whole column). No Streamlit here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import duckdb
import pandas as pd

from app.queries_ops import has_table
from jobs.lineage import LOOKUPS

LIMIT = 50


def normalise(text: str) -> str:
    """The published key of an identifier, as ``jobs.matching.steps.norm`` makes it: ``pay-1``
    and ``PAY 1`` both become ``PAY1``, ``0091000005`` becomes ``91000005``."""
    return re.sub(r"^0+([0-9]*)$", r"\1", re.sub(r"[^A-Z0-9]", "", (text or "").upper()))


def find(con: duckdb.DuckDBPyConnection, text: str, limit: int = LIMIT) -> list[str]:
    """Record ids whose identifiers equal the search (or, failing that, start with it)."""
    key = normalise(text)
    if len(key) < 2:
        return []
    ids = _ids(con, "SELECT DISTINCT record_id FROM lineage_key WHERE key = ? LIMIT ?",
               [key, limit])
    if not ids and len(key) >= 4:
        ids = _ids(con, "SELECT DISTINCT record_id FROM lineage_key WHERE key LIKE ? "
                        "ORDER BY record_id LIMIT ?", [key + "%", limit])
    return ids


def chain(con: duckdb.DuckDBPyConnection, seeds: list[str], limit: int = LIMIT) -> list[str]:
    """The seeds plus the records linked to them: same match, counterpart, same correlation."""
    if not seeds:
        return []
    links = con.execute(f"SELECT match_id, correlation_id FROM record "  # noqa: S608
                        f"WHERE {_rows(con, 'lineage_record', seeds)}", seeds).fetchall()
    matches = sorted({m for m, _ in links if m is not None})
    correlations = sorted({c for _, c in links if c is not None})
    linked = _ids(con, f"""
        SELECT record_id FROM match_member WHERE match_id {_in(matches)}
        UNION SELECT counterpart_record_id FROM exception WHERE record_id {_in(seeds)}
        UNION SELECT record_id FROM exception WHERE counterpart_record_id {_in(seeds)}
        UNION SELECT record_id FROM record
              WHERE {_rows(con, 'lineage_correlation', correlations)}
                AND correlation_id {_in(correlations)}
        LIMIT ?""", [*matches, *seeds, *seeds, *correlations, *correlations, limit])  # noqa: S608
    return list(dict.fromkeys([*seeds, *linked]))[:limit]


def records(con: duckdb.DuckDBPyConnection, record_ids: list[str]) -> pd.DataFrame:
    """One row per record: identity, amounts, origin (snapshot, file, position), raw payload,
    its match (rule, confidence, when) and its snapshot's extraction time; by event date.

    The rows are found by their id in ``lineage_record``, then read by row id (the columns
    shown, not the search keys), and only their match groups are read: reading every column
    (the raw payloads above all) while searching, or joining the whole ``match_group``, costs
    several times more at scale.
    """
    return con.execute(f"""
        WITH r AS (SELECT record_id, source_system, source_ref, workflow, entity, currency,
                          amount, event_date, correlation_id, snapshot_id, source_file,
                          source_position, extracted_at, raw, match_id, exception_id
                   FROM record WHERE {_rows(con, 'lineage_record', record_ids)}),
             g AS (SELECT match_id, rule, confidence, matched_at FROM match_group
                   WHERE match_id IN (SELECT match_id FROM r))
        SELECT DISTINCT ON (r.record_id) r.record_id, r.source_system, r.source_ref,
               r.workflow, r.entity, r.currency, r.amount, r.event_date, r.correlation_id,
               r.snapshot_id, r.source_file, r.source_position, r.extracted_at, r.raw,
               r.match_id, g.rule, g.confidence, g.matched_at, r.exception_id
        FROM r LEFT JOIN g ON g.match_id = r.match_id
        ORDER BY r.record_id, r.workflow""", record_ids).df().sort_values(  # noqa: S608
        ["event_date", "source_system", "source_ref"], na_position="last", ignore_index=True)


def exceptions(con: duckdb.DuckDBPyConnection, record_ids: list[str]) -> pd.DataFrame:
    """Exceptions raised on these records (either side), newest first.

    Found by each id column on its own, then read whole by row id: a filter on one column or
    the other reads every column of every exception.
    """
    return con.execute(f"""
        SELECT exception_id, record_id, workflow, cause, sub_cause, status, source_system,
               source_ref, counterpart_system, counterpart_ref, amount, difference, first_seen,
               last_seen, resolved_at, resolved_by_match, detail
        FROM exception
        WHERE rowid IN (SELECT rowid FROM exception WHERE record_id {_in(record_ids)}
                        UNION ALL
                        SELECT rowid FROM exception WHERE counterpart_record_id {_in(record_ids)})
        ORDER BY first_seen DESC, exception_id""", [*record_ids, *record_ids]).df()  # noqa: S608


def validations(con: duckdb.DuckDBPyConnection, snapshot_ids: Iterable[str],
                record_ids: list[str]) -> pd.DataFrame:
    """Expectation results of the snapshots the records came from; ``flags_record`` when one of
    the records is among a failed expectation's sample ids."""
    return con.execute("""
        SELECT v.snapshot_id, v.suite, v.expectation, v.severity, v.success,
               v.evaluated_count, v.unexpected_count,
               coalesce(list_has_any(CAST(v.sample_ids AS VARCHAR[]), ?::VARCHAR[]), false)
                 AS flags_record
        FROM validation_result v
        WHERE list_contains(?::VARCHAR[], v.snapshot_id)
        ORDER BY v.success, v.snapshot_id, v.suite, v.expectation""",
                       [record_ids, [s for s in snapshot_ids if s]]).df()


def snapshots(con: duckdb.DuckDBPyConnection, snapshot_ids: Iterable[str]) -> pd.DataFrame:
    return con.execute("""
        SELECT snapshot_id, source_system, connector, source, extracted_at, record_count, status
        FROM snapshot WHERE list_contains(?::VARCHAR[], snapshot_id)
        ORDER BY extracted_at""", [[s for s in snapshot_ids if s]]).df()


def hops(recs: pd.DataFrame, excs: pd.DataFrame, events: list[dict]) -> pd.DataFrame:
    """The timeline of one chain: each business event, snapshot, match, exception and workflow
    action, in time order, with the latency since the previous hop.

    Columns: ``at`` (UTC), ``lane`` (system or stage), ``what``, ``latency`` (timedelta or NaT).
    """
    rows: list[tuple[dt.datetime, str, str]] = []
    for r in recs.itertuples():
        if _known(r.event_date):
            rows.append((_utc(r.event_date), r.source_system,
                         f"{r.source_system} {r.source_ref}: booked"))
        if _known(r.extracted_at):
            rows.append((_utc(r.extracted_at), "snapshot",
                         f"{r.source_system} snapshot {r.snapshot_id}"))
    for match_id, rule, at in recs[["match_id", "rule", "matched_at"]].dropna().drop_duplicates(
            "match_id").itertuples(index=False):
        rows.append((_utc(at), "match", f"matched {match_id} by {rule}"))
    for x in excs.itertuples():
        rows.append((_utc(x.first_seen), "exception", f"exception {x.exception_id}: {x.cause}"))
        if _known(x.resolved_at):
            rows.append((_utc(x.resolved_at), "exception", f"{x.exception_id} {x.status}"))
    for e in events:
        rows.append((_utc(e["at"]), "workflow", f"{e['action']} by {e['actor']}"))
    frame = pd.DataFrame(sorted(set(rows)), columns=["at", "lane", "what"])
    frame["latency"] = frame["at"].diff()
    return frame


def _ids(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[str]:
    return [r for (r,) in con.execute(sql, params).fetchall() if r is not None]


def _in(values: list, each: str = "?") -> str:
    """``IN (?, ?, …)``, ``each`` per value (bound as parameters); nothing is ``IN (NULL)``."""
    return f"IN ({', '.join([each] * len(values))})" if values else "IN (NULL)"


def _rows(con: duckdb.DuckDBPyConnection, lookup: str, values: list) -> str:
    """The condition on ``record`` for its rows whose column indexed by ``lookup`` is among
    ``values`` (a placeholder each): their row ids, found in the index, or in a run published
    before it by scanning that column of ``record`` (slower). No values: ``false`` (the
    optimiser then reads nothing)."""
    column, source, function = LOOKUPS[lookup]
    if not values:
        return "false"
    if not has_table(con, lookup):
        return f"rowid IN (SELECT rowid FROM record WHERE {source} {_in(values)})"  # noqa: S608
    each = f"{function}(?)" if function else "?"
    return f"rowid IN (SELECT row FROM {lookup} WHERE {column} {_in(values, each)})"  # noqa: S608


def _known(value) -> bool:
    return value is not None and not pd.isna(value)


def _utc(value) -> dt.datetime:
    """Dates become midnight UTC; timestamps are converted to UTC."""
    value = pd.Timestamp(value)
    if value.tzinfo is None:
        value = value.tz_localize(dt.UTC)
    return value.tz_convert(dt.UTC).to_pydatetime()
