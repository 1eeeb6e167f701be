"""camt throughput and flat memory (figures printed, not asserted: timings depend on the machine
and its load). Run the benchmarks with ``pytest -m bench -s``: entries per second per core of
CPU time on one generated 100k-entry statement and on the simulator's camt files, whose rate is
the one with a target (50,000 entries/s per core).
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import tracemalloc
from pathlib import Path

import pytest

from connectors.bank.camt import CamtConnector
from connectors.bank.camt_xml import CamtStream
from tests.read_timing import best_read_seconds


def camt_document(path: Path, entries: int) -> Path:
    """A camt.053.001.08 statement of ``entries`` realistic entries that balances."""
    balance = 100_000
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:'
                  'tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId>'
                  "<CreDtTm>2024-01-31T18:00:00</CreDtTm></GrpHdr><Stmt><Id>BENCH-1</Id>"
                  "<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>"
                  '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt>'
                  "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-30</Dt></Dt></Bal>")
        for n in range(entries):
            cents = 100 + (n * 37) % 100_000
            credit = n % 3 != 0
            balance += cents if credit else -cents
            side = "Dbtr" if credit else "Cdtr"
            out.write(
                f'<Ntry><Amt Ccy="EUR">{cents // 100}.{cents % 100:02d}</Amt><CdtDbtInd>'
                f"{'CRDT' if credit else 'DBIT'}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>"
                "2024-01-31</Dt></BookgDt><ValDt><Dt>2024-01-31</Dt></ValDt><AcctSvcrRef>"
                f"REF{n:09d}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
                "<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><Refs>"
                f"<EndToEndId>E2E-{n}</EndToEndId></Refs><RltdPties><{side}><Pty><Nm>Customer "
                f"{n % 997}</Nm></Pty></{side}><{side}Acct><Id><IBAN>DE89370400440532013000"
                f"</IBAN></Id></{side}Acct></RltdPties><RmtInf><Ustrd>Invoice INV-{n:07d}</Ustrd>"
                "</RmtInf></TxDtls></NtryDtls></Ntry>")
        out.write(f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">'
                  f"{balance // 100}.{balance % 100:02d}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>"
                  "2024-01-31</Dt></Dt></Bal></Stmt></BkToCstmrStmt></Document>")
    return path


def test_generated_statement_is_read_and_proved(tmp_path):
    batch = CamtConnector().read(camt_document(tmp_path / "s.xml", 2_000))
    assert batch.record_count() == 2_000
    assert batch.control["statements"][0]["balance"] == "proved"
    assert len({row["record_id"] for row in batch.tables["bank_transaction"]}) == 2_000


def test_parsing_memory_stays_flat(tmp_path):
    """The XML side holds one chunk of entries at a time, whatever the file size."""
    path = camt_document(tmp_path / "s.xml", 20_000)
    seen = []
    tracemalloc.start()
    try:
        CamtStream(lambda statement, entry: seen.append(None), lambda statement: None).run(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(seen) == 20_000
    assert path.stat().st_size > 10_000_000 and peak < 4_000_000, f"peak {peak} bytes"


@pytest.mark.bench
def test_camt_entries_per_second(tmp_path):
    entries = 100_000
    path = camt_document(tmp_path / "bench.xml", entries)
    best_wall, best_cpu = best_read_seconds(CamtConnector(), path, entries)
    print(f"\ncamt: {entries} entries ({path.stat().st_size / 1e6:.0f} MB) in {best_wall:.2f} s: "
          f"{entries / best_wall:,.0f} entries/s wall, {entries / best_cpu:,.0f} entries/s per "
          "core of CPU time")


@pytest.mark.bench
def test_camt_entries_per_second_on_simulated_files(tmp_path):
    """The product's own camt files: several banks' shapes, batches, indented XML."""
    from jobs.simulate import simulate

    simulate(tmp_path, seed=1, records=100_000, as_of=dt.date(2026, 11, 20))
    files = sorted((tmp_path / "bank").glob("*.xml"))
    connector = CamtConnector()
    best_cpu = float("inf")
    for _ in range(3):
        cpu, entries = 0.0, 0
        for path in files:
            gc.collect()
            start = time.process_time()
            batch = connector.read(path)
            cpu += time.process_time() - start
            entries += batch.control["entries"]
            del batch
        best_cpu = min(best_cpu, cpu)
    size = sum(path.stat().st_size for path in files) / 1e6
    print(f"\ncamt, simulated: {entries} entries in {len(files)} files ({size:.0f} MB), "
          f"{best_cpu:.2f} s CPU: {entries / best_cpu:,.0f} entries/s per core of CPU time "
          "(target 50,000)")
