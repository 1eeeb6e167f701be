"""How fast the ERP connector reads a million-line export (``pytest -m bench``)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from connectors.erp.line_items import ErpLineItemConnector

COLUMNS = ("company_code,fiscal_year,document_number,line_item,document_type,posting_date,"
           "document_date,entry_timestamp,gl_account,account_type,customer,vendor,amount,currency,"
           "amount_local,local_currency,reference,assignment,text,clearing_document,clearing_date,"
           "trading_partner,purchase_order")


def generate(path: Path, lines: int, seed: int = 7) -> None:
    """A plain export: two-line documents, signed amounts, ISO dates with offsets."""
    rng = random.Random(seed)
    with path.open("w") as fh:
        fh.write(COLUMNS + "\n")
        for i in range(lines):
            day = f"2024-03-{i % 28 + 1:02d}"
            amount = f"{rng.randint(-10**7, 10**7) / 100:.2f}"
            fh.write(f"DE01,2024,{100000000 + i // 2},{i % 2 + 1},DR,{day},{day},{day}T10:11:12+01:00,"
                     f"140000,D,C{i % 5000},,{amount},EUR,{amount},EUR,INV-{i},A{i % 100},"
                     f"Invoice {i},,,,\n")


@pytest.mark.bench
def test_one_million_lines(tmp_path):
    path = tmp_path / "lines.csv"
    generate(path, 1_000_000)
    started, cpu = time.perf_counter(), time.process_time()
    batch = ErpLineItemConnector().read(path)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = batch.record_count()
    print(f"\nERP CSV: {rows:,} lines in {wall:.2f}s wall ({rows / wall:,.0f} rows/s), {cpu:.2f}s CPU")
    assert rows == 1_000_000
    assert batch.control["unreadable_values"] == []
