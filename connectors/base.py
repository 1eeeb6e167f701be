"""What every connector is: a content sniffer plus a reader that returns canonical rows.

A connector never writes the warehouse; the snapshot step (``jobs.snapshot``) adds the lineage
columns that depend on the run (``snapshot_id``, ``extracted_at``, ``connector``, the file) and
bulk-loads the rows. Bad input raises :class:`RejectedFile`, which names the file, the record
and the problem, so the caller can quarantine that one file and go on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from connectors.canonical import SourceSystem


class RejectedFile(Exception):
    """A file that cannot be read faithfully. The message names file, record and problem."""

    def __init__(self, path: Path | str, problem: str, record: str | None = None):
        self.path = str(path)
        self.problem = problem
        self.record = record
        where = f" (record {record})" if record else ""
        super().__init__(f"{self.path}{where}: {problem}")


Rows = list[dict[str, Any]] | pa.Table


@dataclass
class Batch:
    """Everything one file (or API page) yielded, by canonical table name."""

    format: str
    system: SourceSystem
    tables: dict[str, Rows] = field(default_factory=dict)
    control: dict[str, Any] = field(default_factory=dict)
    """Figures the reader proved (statements, entries, control totals), shown by ``inspect``."""

    def record_count(self) -> int:
        main = next(iter(self.tables.values()), [])
        return main.num_rows if isinstance(main, pa.Table) else len(main)

    def total_amount(self) -> Decimal | None:
        main = next(iter(self.tables.values()), [])
        if isinstance(main, pa.Table):
            if "amount" not in main.column_names:
                return None
            return sum((Decimal(str(v)) for v in main.column("amount").to_pylist() if v is not None), Decimal(0))
        amounts = [r.get("amount", r.get("total")) for r in main]
        if not amounts or all(a is None for a in amounts):
            return None
        return sum((Decimal(a) for a in amounts if a is not None), Decimal(0))


class Connector(Protocol):
    """A reader for one format of one source system."""

    name: str
    system: SourceSystem

    def sniff(self, head: bytes, path: Path) -> bool:
        """True when the first bytes of a file are this connector's format."""

    def read(self, path: Path) -> Batch:
        """Parse the whole file; raise RejectedFile when it cannot be read faithfully."""


HEAD_BYTES = 64 * 1024


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first bytes of a file, or RejectedFile when it cannot be read or is empty."""
    try:
        with path.open("rb") as fh:
            head = fh.read(size)
    except OSError as err:
        raise RejectedFile(path, f"cannot read file: {err.strerror or err}") from None
    if not head.strip():
        raise RejectedFile(path, "file is empty")
    return head


def decode_json(data: bytes, source: Path | str) -> Any:
    """Parse JSON bytes with exact decimals, or raise RejectedFile naming line and column."""
    if not data.strip():
        raise RejectedFile(source, "file is empty")
    try:
        return json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except UnicodeDecodeError as err:
        raise RejectedFile(source, f"not UTF-8 text: {err.reason} at byte {err.start}") from None
    except json.JSONDecodeError as err:
        raise RejectedFile(source, f"invalid JSON: {err.msg}",
                           f"line {err.lineno} column {err.colno}") from None


def record_key(*parts: object) -> str:
    """Stable content-derived identity of a record (system, natural key...)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(joined.encode(), digest_size=10).hexdigest()


def payload_hash(raw: Any) -> str:
    """Hash of a raw payload, independent of key order."""
    data = raw if isinstance(raw, bytes | str) else json.dumps(raw, sort_keys=True, default=str)
    if isinstance(data, str):
        data = data.encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()
