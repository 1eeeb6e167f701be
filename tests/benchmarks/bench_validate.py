"""Benchmark: validation of 1M ERP ledger lines with the full ledger_line suite.

Run with ``uv run python -m tests.benchmarks.bench_validate [rows]``. Not collected by pytest
(no ``test_`` prefix). The lines are generated in DuckDB with ``range()``: balanced two-line
journal documents, with one defect in about a thousand lines (missing amount, unknown
currency, impossible date) so the failing-record path is measured too.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from jobs import warehouse
from jobs.settings import Settings

AS_OF = dt.date(2026, 1, 31)

LEDGER_SQL = """
    INSERT INTO ledger_line BY NAME
    SELECT 'l' || i AS record_id, 'erp' AS source_system,
           'DE01/2026/' || (i // 2) || '/' || (i % 2 + 1) AS source_ref, 'bench' AS connector,
           'bench.csv' AS source_file, i AS source_position, md5(i::VARCHAR) AS payload_hash,
           's_bench' AS snapshot_id, TIMESTAMPTZ '2026-01-31 12:00:00+00' AS extracted_at,
           'DE01' AS company_code, 2026 AS fiscal_year, (i // 2)::VARCHAR AS document_number,
           i % 2 + 1 AS line_item, 'SA' AS document_type,
           CASE WHEN i % 997 = 3 THEN DATE '1985-01-01'
                ELSE DATE '2026-01-01' + CAST(i % 30 AS INTEGER) END AS posting_date,
           DATE '2026-01-01' + CAST(i % 30 AS INTEGER) AS document_date,
           CASE WHEN i % 2 = 0 THEN '113100' ELSE '400000' END AS gl_account, 'S' AS account_type,
           CASE WHEN i % 1009 = 5 THEN NULL
                ELSE ((i // 2) % 100000 / 100 + 1)::DECIMAL(18, 4)
                     * CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END END AS amount,
           CASE WHEN i % 1013 = 7 THEN 'XYZ' ELSE 'EUR' END AS currency,
           ((i // 2) % 100000 / 100 + 1)::DECIMAL(18, 4) * CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END
             AS amount_local,
           'EUR' AS local_currency, 'INV' || (i // 2) AS reference
    FROM range($rows) t(i)"""


def setup(home: Path, rows: int):
    con = warehouse.connect(home)
    con.execute("SET enable_progress_bar = false")
    con.execute("INSERT INTO snapshot (snapshot_id, source_system, connector, source, content_hash, "
                "extracted_at, record_count, status) VALUES ('s_bench', 'erp', 'bench', 'bench.csv', "
                "'h', TIMESTAMPTZ '2026-01-31 12:00:00+00', ?, 'ok')", [rows])
    con.execute(LEDGER_SQL, {"rows": rows})
    return con


def main(rows: int = 1_000_000) -> None:
    started = time.perf_counter()
    from jobs import validate as v

    v._gx()
    print(f"import great_expectations: {time.perf_counter() - started:.1f} s (once per process)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        con = setup(home, rows)
        print(f"generate {rows:,} ledger lines in DuckDB: {time.perf_counter() - started:.1f} s")
        settings = Settings.load(home=home)
        suites = [s for s in v.load_suites() if s.table == "ledger_line"]
        print(f"suite ledger_line: {len(suites[0].doc['expectations'])} expectations")
        for docs in (False, True):
            con.execute("DELETE FROM validation_result")
            con.execute("UPDATE snapshot SET status = 'ok'")
            started, cpu = time.perf_counter(), time.process_time()
            report = v.validate(con, settings, f"bench-{docs}", AS_OF, docs=docs)
            total, cpu = time.perf_counter() - started, time.process_time() - cpu
            stages = ", ".join(f"{k} {s:.1f} s" for k, s in report.seconds.items())
            print(f"validate {rows:,} lines, data docs {'on' if docs else 'off'}: {total:.1f} s "
                  f"wall, {cpu:.1f} s CPU ({stages}); failing record rows "
                  f"{dict(report.failed_records)}; pass rate {report.pass_rate:.0%}")
        con.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
