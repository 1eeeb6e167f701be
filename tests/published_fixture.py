"""A small but realistic published run, built in a temporary home for the dashboard tests.

Records are generated in plain Python (seeded, deterministic) so tests can compute expected
figures from them independently; they are inserted with DuckDB SQL, and the ``kpi_*`` tables
are aggregated in SQL the way the publish step does. Three entities in three currencies, one of
them (DE01) also booking USD, four workflows, three periods, every cause, ages past every bucket.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.canonical import Cause
from jobs.published import create_schema, point_current, published_dir
from jobs.settings import DEFAULT_QUEUES, DEFAULT_SLA

AS_OF = dt.date(2025, 11, 14)
RUN_ID = "20251114T060000Z-fixture"
PUBLISHED_AT = dt.datetime(2025, 11, 14, 6, 0, tzinfo=dt.UTC)
ENTITIES = (("DE01", "Recon Demo GmbH", "EUR"), ("US01", "Recon Demo Inc.", "USD"),
            ("JP01", "Recon Demo KK", "JPY"))
PERIOD_STARTS = (dt.date(2025, 9, 1), dt.date(2025, 10, 1), dt.date(2025, 11, 1))
# Share of records each workflow matches automatically: different on purpose, so a filter
# on workflow visibly moves the figures.
MATCH_SHARE = {"bank_to_ledger": 0.85, "billing_to_ledger": 0.9, "procure_to_pay": 0.65,
               "intercompany": 0.5}
RULES = {"bank_to_ledger": "exact_reference", "billing_to_ledger": "payout_net_of_fees",
         "procure_to_pay": "three_way_po", "intercompany": "intercompany_pair"}
SYSTEMS = {"bank_to_ledger": "bank", "billing_to_ledger": "billing",
           "procure_to_pay": "procurement", "intercompany": "erp"}
SLA_DAYS = {c.value: d for c, d in DEFAULT_SLA.items()}
QUEUES = {c.value: q for c, q in DEFAULT_QUEUES.items()}


@dataclass
class Fixture:
    """The generated rows: ``scope`` (one per record and workflow) and ``exceptions``."""

    scope: list[dict] = field(default_factory=list)
    exceptions: list[dict] = field(default_factory=list)
    as_of: dt.date = AS_OF


def generate(seed: int = 7, n_records: int = 240) -> Fixture:
    """Deterministic records and exceptions; ages reach past 90 days, amounts vary by currency."""
    rng = random.Random(seed)
    fx = Fixture()
    causes = [c.value for c in Cause]
    for i in range(n_records):
        workflow = rng.choice(list(MATCH_SHARE))
        entity, _, currency = rng.choice(ENTITIES)
        if entity == "DE01" and rng.random() < 0.25:
            currency = "USD"
        start = rng.choice(PERIOD_STARTS)
        event_date = start + dt.timedelta(days=rng.randrange(28))
        event_date = min(event_date, AS_OF)
        scale = 1000 if currency == "JPY" else 1
        amount = Decimal(rng.randrange(5_000, 2_500_000)) / 100 * scale
        amount = amount.quantize(Decimal("1") if currency == "JPY" else Decimal("0.01"))
        if rng.random() < 0.4:
            amount = -amount
        matched = rng.random() < MATCH_SHARE[workflow]
        record_id = f"{SYSTEMS[workflow]}:{workflow}:{i:05d}"
        row = dict(record_id=record_id, workflow=workflow, source_system=SYSTEMS[workflow],
                   source_ref=f"REF-{i:05d}", entity=entity, currency=currency, amount=amount,
                   event_date=event_date, period=event_date.strftime("%Y-%m"),
                   status="matched" if matched else "exception",
                   match_id=f"m-{i:05d}" if matched else None,
                   rule=RULES[workflow] if matched else None,
                   cause=None if matched else rng.choice(causes), correlation_id=f"corr-{i:05d}")
        fx.scope.append(row)
        if not matched:
            fx.exceptions.append(_exception(row, rng, status="open"))
        elif rng.random() < 0.1:  # matched now, but an exception in an earlier run
            fx.exceptions.append(_exception(row, rng, status="auto_resolved"))
    return fx


def _exception(row: dict, rng: random.Random, status: str) -> dict:
    age = rng.choice([0, 1, 2, 3, 5, 7, 8, 15, 30, 31, 45, 60, 61, 75, 90, 91, 120])
    first_seen = AS_OF - dt.timedelta(days=age)
    cause = row["cause"] or Cause.TIMING_DIFFERENCE.value
    return dict(
        exception_id=f"x-{row['record_id']}", workflow=row["workflow"], cause=cause,
        sub_cause="bank_fee" if cause == Cause.AMOUNT_VARIANCE else None, status=status,
        entity=row["entity"], source_system=row["source_system"], source_ref=row["source_ref"],
        record_id=row["record_id"], currency=row["currency"], amount=row["amount"],
        difference=(row["amount"] / 100).quantize(Decimal("0.01")) if cause == "amount_variance" else None,
        event_date=row["event_date"], first_seen=first_seen,
        last_seen=AS_OF if status == "open" else first_seen + dt.timedelta(days=1),
        resolved_at=None if status == "open" else first_seen + dt.timedelta(days=1),
        resolved_by_match=row["match_id"] if status != "open" else None,
        correlation_id=row["correlation_id"])


def build_published(home: Path, fixture: Fixture | None = None, run_id: str = RUN_ID) -> Path:
    """Write one published run under ``home`` and make it CURRENT; return its path."""
    fixture = fixture or generate()
    out = published_dir(home)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"run-{run_id}.duckdb"
    with duckdb.connect(str(path)) as con:
        create_schema(con)
        _insert(con, "scope", fixture.scope)
        _insert(con, "exception", fixture.exceptions)
        _insert_bookkeeping(con, fixture, run_id)
        _insert_lineage(con, fixture)
        _insert_operations(con, fixture, run_id)
        _aggregate_kpis(con)
    point_current(home, path)
    return path


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Bulk insert through Arrow (exact decimals kept), columns matched by name."""
    if not rows:
        return
    con.register("batch", pa.Table.from_pylist(rows))
    try:
        con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM batch')
    finally:
        con.unregister("batch")


def _insert_bookkeeping(con: duckdb.DuckDBPyConnection, fx: Fixture, run_id: str) -> None:
    matched = sum(r["status"] == "matched" for r in fx.scope)
    open_x = sum(x["status"] == "open" for x in fx.exceptions)
    con.execute("INSERT INTO run_info VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, fx.as_of, PUBLISHED_AT, "tests/fixture", len(fx.scope), matched, open_x,
                 json.dumps({"snapshot": "ok", "validate": "ok", "match": "ok", "publish": "ok"})])
    _insert(con, "entity", [dict(company_code=c, name=n, currency=k) for c, n, k in ENTITIES])
    _insert(con, "match_group", [
        dict(match_id=r["match_id"], run_id=run_id, workflow=r["workflow"], rule=r["rule"],
             confidence=1.0, currency=r["currency"], amount=r["amount"], difference=Decimal(0),
             cutoff_flag=False, latency_days=1, matched_at=PUBLISHED_AT)
        for r in fx.scope if r["status"] == "matched"])
    _insert(con, "match_member", [
        dict(match_id=r["match_id"], record_id=r["record_id"], side="left",
             source_system=r["source_system"], source_ref=r["source_ref"], amount=r["amount"],
             event_date=r["event_date"])
        for r in fx.scope if r["status"] == "matched"])
    started = PUBLISHED_AT - dt.timedelta(minutes=4)
    _insert(con, "job_run", [
        dict(run_id=run_id, job="pipeline", trigger="manual", started_at=started,
             ended_at=PUBLISHED_AT, status="success", rows_in=len(fx.scope), rows_out=matched,
             as_of=fx.as_of, attempt=1)])
    _insert(con, "snapshot", [
        dict(snapshot_id=f"s-{system}", source_system=system, connector=f"{system}_fixture",
             source=f"{system}/fixture", content_hash=f"h-{system}", extracted_at=started,
             record_count=10, status="ok", run_id=run_id)
        for system in ("bank", "erp", "billing", "procurement")])


IBAN = "DE89370400440532013000"
COUNTERPARTY_IBAN = "GB29NWBK60161331926819"


def counterpart_id(row: dict) -> str:
    """Record id of the ERP line a matched fixture record was matched with."""
    return row["record_id"].replace(row["source_system"] + ":", "erp-line:", 1)


def _raw(row: dict) -> dict:
    """A raw payload in the shape of the record's source, with account numbers to mask."""
    amount = str(row["amount"])
    if row["source_system"] == "bank":
        return {"Ntry": {"AcctSvcrRef": row["source_ref"], "Amt": {"#text": amount,
                                                                   "@Ccy": row["currency"]},
                         "BookgDt": str(row["event_date"])},
                "Acct": {"Id": {"IBAN": IBAN}},
                "RltdPties": {"DbtrAcct": {"Id": {"IBAN": COUNTERPARTY_IBAN}}},
                "RmtInf": f"Invoice {row['source_ref']} paid from {COUNTERPARTY_IBAN}"}
    return {"id": row["source_ref"], "amount": amount, "currency": row["currency"],
            "created": str(row["event_date"])}


def _insert_lineage(con: duckdb.DuckDBPyConnection, fx: Fixture) -> None:
    """``record`` and ``lineage_key`` for every scope row, plus the ERP side of each match."""
    exceptions = {x["record_id"]: x["exception_id"] for x in fx.exceptions
                  if x["status"] == "open"}
    records, members = [], []
    for i, row in enumerate(fx.scope):
        extracted = dt.datetime.combine(row["event_date"], dt.time(6), dt.UTC) + dt.timedelta(days=1)
        records.append(dict(
            record_id=row["record_id"], source_system=row["source_system"],
            source_ref=row["source_ref"], workflow=row["workflow"], entity=row["entity"],
            currency=row["currency"], amount=row["amount"], event_date=row["event_date"],
            correlation_id=row["correlation_id"],
            snapshot_id=f"s-{row['source_system']}-{row['period']}",
            source_file=f"{row['source_system']}/{row['source_system']}_{row['period']}.json",
            source_position=i, extracted_at=extracted, raw=json.dumps(_raw(row)),
            match_id=row["match_id"], exception_id=exceptions.get(row["record_id"])))
        if row["status"] != "matched":
            continue
        posted = row["event_date"] + dt.timedelta(days=i % 4)
        ref = f"{row['entity']}/{posted.year}/{49000000 + i}/1"
        records.append(dict(
            records[-1], record_id=counterpart_id(row), source_system="erp", source_ref=ref,
            amount=-row["amount"], event_date=posted, snapshot_id=f"s-erp-{row['period']}",
            source_file=f"erp/erp_{row['period']}.csv",
            extracted_at=extracted + dt.timedelta(days=i % 4, hours=2),
            raw=json.dumps({"document_number": str(49000000 + i), "reference": row["source_ref"],
                            "amount": str(-row["amount"])}), exception_id=None))
        members.append(dict(match_id=row["match_id"], record_id=counterpart_id(row),
                            side="right", source_system="erp", source_ref=ref,
                            amount=-row["amount"], event_date=posted))
    _insert(con, "record", records)
    _insert(con, "match_member", members)
    con.execute("""INSERT INTO lineage_key
                   SELECT DISTINCT regexp_replace(upper(k), '[^A-Z0-9]', '', 'g'), record_id
                   FROM (SELECT record_id, source_ref AS k FROM record UNION ALL
                         SELECT record_id, correlation_id FROM record) WHERE k IS NOT NULL""")


def _insert_operations(con: duckdb.DuckDBPyConnection, fx: Fixture, run_id: str) -> None:
    """Snapshots per source and period with validation results, a quarantined file, and the
    job history of earlier runs (one failed with a traceback)."""
    periods = sorted({r["period"] for r in fx.scope})
    snapshots, results = [], []
    for n, period in enumerate(periods):
        for system in ("bank", "erp", "billing", "procurement"):
            snapshot_id = f"s-{system}-{period}"
            taken = PUBLISHED_AT - dt.timedelta(days=30 * (len(periods) - n), hours=1)
            count_ = 40 + n * 5
            snapshots.append(dict(
                snapshot_id=snapshot_id, source_system=system, connector=f"{system}_fixture",
                source=f"{system}/{system}_{period}.json", content_hash=f"h-{snapshot_id}",
                extracted_at=taken, record_count=count_, status="ok", run_id=run_id))
            for name, severity in (("amount_not_null", "critical"),
                                   ("currency_is_iso4217", "critical"),
                                   ("date_is_plausible", "warning")):
                failed = 3 if (system, name) == ("erp", "date_is_plausible") else 0
                failed = 2 if (system, period, name) == ("bank", periods[-1],
                                                        "amount_not_null") else failed
                results.append(dict(
                    snapshot_id=snapshot_id, suite=f"{system}.default", expectation=name,
                    severity=severity, success=failed == 0, evaluated_count=count_,
                    unexpected_count=failed, sample_ids=[f"{system}-bad-{k}" for k in range(failed)],
                    run_id=run_id))
    snapshots.append(dict(snapshot_id="s-bank-quarantined", source_system="bank",
                          connector="bank_camt053", source="bank/statement_broken.xml",
                          content_hash="h-broken", extracted_at=PUBLISHED_AT - dt.timedelta(hours=2),
                          record_count=0, status="quarantined", error="not a statement",
                          run_id=run_id))
    _insert(con, "snapshot", snapshots)
    _insert(con, "validation_result", results)
    _insert(con, "quarantine", [dict(
        content_hash="h-broken", source_system="bank", source="bank/statement_broken.xml",
        reason="bank/statement_broken.xml: not a camt.053 or MT940 statement (root element "
               "<html>, expected <Document>)", quarantined_at=PUBLISHED_AT - dt.timedelta(hours=2),
        run_id=run_id)])
    _insert(con, "job_run", [dict(
        run_id=f"{run_id}-earlier-{k}", job="run", trigger="schedule:bank",
        started_at=PUBLISHED_AT - dt.timedelta(days=k, minutes=5),
        ended_at=PUBLISHED_AT - dt.timedelta(days=k, minutes=2 + k % 2),
        status="failed" if k == 2 else "success", rows_in=len(fx.scope) - k,
        rows_out=None if k == 2 else len(fx.scope) - k, as_of=fx.as_of - dt.timedelta(days=k),
        attempt=1, error="IOException: could not read bank/statement_0112.xml" if k == 2 else None,
        traceback=("Traceback (most recent call last):\n  File \"jobs/snapshot.py\", line 165, "
                   "in ingest\nIOException: could not read bank/statement_0112.xml"
                   if k == 2 else None),
        stages={"ingest": 1.5, "match": 2.0, "persist": 0.4, "publish": 0.8})
        for k in range(1, 6)])


def _aggregate_kpis(con: duckdb.DuckDBPyConnection) -> None:
    """The kpi_* tables, aggregated in SQL from scope and exception as the publish step does."""
    con.execute("""
        INSERT INTO kpi_match_rate
        SELECT workflow, entity, period, currency, count(*),
               count(*) FILTER (WHERE status = 'matched'), sum(abs(amount)),
               coalesce(sum(abs(amount)) FILTER (WHERE status = 'matched'), 0)
        FROM scope GROUP BY ALL""")
    policy = [[c, QUEUES[c], SLA_DAYS[c]] for c in SLA_DAYS]
    con.execute("CREATE TEMP TABLE policy (cause VARCHAR, queue VARCHAR, sla INTEGER)")
    con.executemany("INSERT INTO policy VALUES (?, ?, ?)", policy)
    con.execute("""
        UPDATE exception e SET queue = p.queue,
               age_days = date_diff('day', e.first_seen, r.as_of),
               age_bucket = CASE WHEN date_diff('day', e.first_seen, r.as_of) <= 2 THEN '0-2'
                                 WHEN date_diff('day', e.first_seen, r.as_of) <= 7 THEN '3-7'
                                 WHEN date_diff('day', e.first_seen, r.as_of) <= 30 THEN '8-30'
                                 WHEN date_diff('day', e.first_seen, r.as_of) <= 60 THEN '31-60'
                                 WHEN date_diff('day', e.first_seen, r.as_of) <= 90 THEN '61-90'
                                 ELSE '>90' END,
               sla_breach = date_diff('day', e.first_seen, r.as_of) > p.sla
        FROM policy p, run_info r WHERE p.cause = e.cause""")
    con.execute("""
        INSERT INTO kpi_exception_aging
        WITH aged AS (
            SELECT e.*, date_diff('day', e.first_seen, r.as_of) AS age
            FROM exception e CROSS JOIN run_info r WHERE e.status = 'open')
        SELECT a.workflow, a.entity, a.cause, p.queue, a.currency,
               CASE WHEN age <= 2 THEN '0-2' WHEN age <= 7 THEN '3-7' WHEN age <= 30 THEN '8-30'
                    WHEN age <= 60 THEN '31-60' WHEN age <= 90 THEN '61-90' ELSE '>90' END,
               count(*), sum(abs(a.amount)), count(*) FILTER (WHERE age > p.sla)
        FROM aged a JOIN policy p USING (cause) GROUP BY ALL""")


def build_empty_run(home: Path, run_id: str = "20251114T070000Z-empty") -> Path:
    """A published run with no records at all (a first run over an empty source folder)."""
    return build_published(home, Fixture(), run_id=run_id)
