"""Ingest: every source file becomes an immutable, idempotent snapshot (SPEC §2 step 1).

A file is identified by the hash of its bytes: reading it again adds nothing. Parsing runs in
worker processes (one per core) because XML and JSON parsing is CPU-bound Python; the parent
alone writes DuckDB. A file a connector rejects is quarantined with its reason and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from connectors.base import RejectedFile
from connectors.registry import default_connectors, detect
from jobs.api_ingest import ApiOutcome, api_parsed
from jobs.arrow import to_arrow
from jobs.settings import Settings

SYSTEM_FOLDERS = ("reference", "bank", "erp", "billing", "procurement")
REPLACED_TABLES = {"entity", "account", "counterparty", "fx_rate"}  # master data: latest wins
KEYED_TABLES = {"purchase_order_line", "supplier_invoice_line"}     # content-keyed children
POOL_FROM_BYTES = 32 * 1024 * 1024
STORE_BATCH_ROWS = 500_000
STORE_BATCH_FILES = 200
LINEAGE_TABLES = {"bank_transaction", "ledger_line", "billing_event", "purchase_order", "receipt",
                  "supplier_invoice"}


@dataclass
class Parsed:
    """What a worker returns for one file."""

    path: str
    content_hash: str
    snapshot_id: str
    connector: str = ""
    system: str = ""
    format: str = ""
    tables: dict[str, pa.Table] = field(default_factory=dict)
    control: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    record_count: int = 0
    total_amount: str | None = None


@dataclass
class IngestReport:
    files_seen: int = 0
    snapshots: int = 0
    unchanged: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    rows: Counter = field(default_factory=Counter)
    records_by_system: Counter = field(default_factory=Counter)
    api_retries: list[str] = field(default_factory=list)
    api_errors: list[str] = field(default_factory=list)


def file_hash(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def source_files(sources: Path, systems: list[str] | None = None) -> list[Path]:
    """Files under the known system folders (or only ``systems``), reference data first."""
    files = []
    for folder in SYSTEM_FOLDERS:
        if systems is not None and folder not in systems:
            continue
        root = sources / folder
        if root.is_dir():
            # hidden files and folders *inside* the source folder are skipped (editor swap
            # files, .DS_Store); the source folder itself may live under a hidden home
            files += sorted(p for p in root.rglob("*") if p.is_file() and not any(
                part.startswith(".") for part in p.relative_to(root).parts))
    return files


def _parse(path: str, content_hash: str, extracted_at: dt.datetime,
           options: dict[str, dict[str, Any]]) -> Parsed:
    """Worker: detect and read one file, returning typed Arrow tables with lineage."""
    snapshot_id = "s_" + content_hash[:16]
    out = Parsed(path=path, content_hash=content_hash, snapshot_id=snapshot_id)
    connectors = default_connectors(options)
    try:
        connector = detect(Path(path), connectors)
        out.connector, out.system = connector.name, str(connector.system)
        batch = connector.read(Path(path))
        out.format, out.control = batch.format, batch.control
        out.record_count = batch.record_count()
        total = batch.total_amount()
        out.total_amount = None if total is None else str(total)
        lineage = {"snapshot_id": snapshot_id, "extracted_at": extracted_at,
                   "connector": connector.name, "source_file": path}
        for table, rows in batch.tables.items():
            constants = lineage if table in LINEAGE_TABLES else {}
            out.tables[table] = to_arrow(table, rows, **constants)
    except RejectedFile as err:
        out.error = str(err)
    except Exception as err:  # by choice: one unreadable file must not stop the run
        out.error = f"{path}: unexpected error while reading ({type(err).__name__}: {err})"
    return out


def _known_hashes(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT content_hash FROM snapshot").fetchall()}


def _store(con: duckdb.DuckDBPyConnection, batch: list[Parsed], run_id: str,
           extracted_at: dt.datetime, report: IngestReport) -> None:
    """Write several parsed files in one transaction (a commit costs a disk sync), one INSERT
    per table: all of them land or none, and an interrupted run simply reads them again."""
    tables: dict[str, list[pa.Table]] = {}
    for parsed in batch:
        for table, data in parsed.tables.items():
            tables.setdefault(table, []).append(data)
    con.execute("BEGIN TRANSACTION")
    try:
        for table, parts in tables.items():
            data = pa.concat_tables(parts)
            con.register("_batch", data)
            verb = "INSERT OR REPLACE" if table in REPLACED_TABLES else (
                "INSERT OR IGNORE" if table in KEYED_TABLES else "INSERT")
            con.execute(f'{verb} INTO "{table}" BY NAME SELECT * FROM _batch')
            con.unregister("_batch")
            report.rows[table] += data.num_rows
        for parsed in batch:
            _record_snapshot(con, parsed, run_id, extracted_at)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    for parsed in batch:
        if parsed.error:
            report.quarantined.append((parsed.path, parsed.error))
        else:
            report.snapshots += 1
            report.records_by_system[parsed.system] += parsed.record_count


def _record_snapshot(con, parsed: Parsed, run_id: str, extracted_at: dt.datetime) -> None:
    if parsed.error:
        con.execute("INSERT OR REPLACE INTO quarantine (content_hash, source_system, source, reason, "
                    "quarantined_at, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                    [parsed.content_hash, parsed.system or "unknown", parsed.path, parsed.error,
                     extracted_at, run_id])
    con.execute(
        "INSERT INTO snapshot (snapshot_id, source_system, connector, source, content_hash, "
        "extracted_at, record_count, total_amount, status, error, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [parsed.snapshot_id, parsed.system or "unknown", parsed.connector or "none",
         parsed.path, parsed.content_hash, extracted_at, parsed.record_count,
         parsed.total_amount, "quarantined" if parsed.error else "ok", parsed.error, run_id])


def ingest(con: duckdb.DuckDBPyConnection, sources: Path, run_id: str,
           options: dict[str, dict[str, Any]] | None = None, workers: int | None = None,
           progress=None, systems: list[str] | None = None,
           settings: Settings | None = None) -> IngestReport:
    """Snapshot every new file under ``sources`` (unchanged files are skipped by hash), then
    every new page of the API sources enabled in ``settings``."""
    report = IngestReport()
    extracted_at = dt.datetime.now(dt.UTC)
    known = _known_hashes(con)
    todo = []
    for path in source_files(sources, systems):
        report.files_seen += 1
        digest = file_hash(path)
        if digest in known:
            report.unchanged += 1
            continue
        known.add(digest)  # the same bytes twice in one delivery count once
        todo.append((str(path), digest))
    size = sum(Path(p).stat().st_size for p, _ in todo)
    if workers is None:
        # Worker processes take seconds to start (imports): worth it only for big deliveries.
        workers = min(len(todo), os.cpu_count() or 1, 4) if size >= POOL_FROM_BYTES else 1
    args = [(p, h, extracted_at, options or {}) for p, h in todo]
    if workers <= 1 or len(todo) <= 1:
        results = (_parse(*a) for a in args)
        _drain(con, results, run_id, extracted_at, report, progress, len(todo))
    else:
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = _in_order(pool, args, window=workers + 1)
            _drain(con, results, run_id, extracted_at, report, progress, len(todo))
    if settings is not None and settings.api:
        outcome = ApiOutcome()
        pages = api_parsed(settings, systems, known, extracted_at, outcome)
        _drain(con, pages, run_id, extracted_at, report, progress, 0)
        report.api_retries, report.api_errors = outcome.retries, outcome.errors
    return report


def _in_order(pool: ProcessPoolExecutor, args: list[tuple], window: int) -> Iterator[Parsed]:
    """Parsed files in delivery order with at most ``window`` in flight: ``pool.map`` submits
    every file at once, and parsed files then pile up in memory whenever storing is slower
    than parsing (9 GB at 5M records)."""
    pending: deque[Future[Parsed]] = deque()
    queue = iter(args)
    for a in islice(queue, window):
        pending.append(pool.submit(_parse, *a))
    while pending:
        parsed = pending.popleft().result()
        following = next(queue, None)
        if following is not None:
            pending.append(pool.submit(_parse, *following))
        yield parsed


def _drain(con, results, run_id, extracted_at, report, progress, total) -> None:
    """Store parsed files in batches of about STORE_BATCH_ROWS rows."""
    batch: list[Parsed] = []
    rows = 0
    for i, parsed in enumerate(results, 1):
        batch.append(parsed)
        rows += sum(t.num_rows for t in parsed.tables.values())
        if rows >= STORE_BATCH_ROWS or len(batch) >= STORE_BATCH_FILES:
            _store(con, batch, run_id, extracted_at, report)
            batch, rows = [], 0
        if progress:
            progress(i, total, parsed.path)
    if batch:
        _store(con, batch, run_id, extracted_at, report)
