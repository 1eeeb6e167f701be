"""MT940 throughput, measured on generated statements (figures printed, not asserted: timings
depend on the machine). Run the 100k-line benchmark with ``pytest -m bench -s``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.bank.mt940 import Mt940Connector
from tests.read_timing import best_read_seconds


def mt940_document(path: Path, lines: int, per_statement: int = 1_000) -> Path:
    """Statements of realistic ``:61:`` lines that balance, their ``:86:`` alternately in the
    German structured layout and the Dutch/British slash layout, as the simulator writes them."""
    with path.open("w", encoding="utf-8") as out:
        balance = 500_000_00
        for start in range(0, lines, per_statement):
            number = start // per_statement + 1
            out.write(f":20:BENCH{number:05d}\n:25:DE89370400440532013000\n:28C:{number:05d}/001\n"
                      f":60F:C240130EUR{balance // 100},{balance % 100:02d}\n")
            for n in range(start, min(start + per_statement, lines)):
                cents = 100 + (n * 37) % 100_000
                credit = n % 3 != 0
                balance += cents if credit else -cents
                out.write(f":61:2401310131{'C' if credit else 'D'}{cents // 100},{cents % 100:02d}"
                          f"NTRFINV-{n:07d}//BK{n:012d}\n")
                if n % 2:
                    out.write(f":86:166?00SEPA-GUTSCHRIFT?10{n % 1000:04d}?20EREF+INV-{n:07d}?21SVWZ+R\n"
                              f"echnung?22 INV-{n:07d}?30COLSDE33XXX?31DE8937040044053201\n"
                              f"3000?32KUNDE {n % 997} GMBH\n")
                else:
                    out.write(f":86:/EREF/INV-{n:07d}//CNTP/GB71MIDL60483689203438/HBUKGB4BX\n"
                              f"XX/CUSTOMER {n % 997} LTD/LONDON/REMI/USTD//INV-{n:07d}/\n")
            out.write(f":62F:C240131EUR{balance // 100},{balance % 100:02d}\n-\n")
    return path


def test_generated_statements_are_read_and_proved(tmp_path):
    batch = Mt940Connector().read(mt940_document(tmp_path / "s.sta", 2_500))
    assert batch.record_count() == 2_500
    assert [s["balance"] for s in batch.control["statements"]] == ["proved"] * 3
    assert batch.control["dialects"] == ["standard"]
    assert len({row["record_id"] for row in batch.tables["bank_transaction"]}) == 2_500


@pytest.mark.bench
def test_mt940_lines_per_second(tmp_path):
    lines = 100_000
    path = mt940_document(tmp_path / "bench.sta", lines)
    best_wall, best_cpu = best_read_seconds(Mt940Connector(), path, lines)
    print(f"\nmt940: {lines} :61: lines ({path.stat().st_size / 1e6:.0f} MB) in {best_wall:.2f} s: "
          f"{lines / best_wall:,.0f} lines/s wall, {lines / best_cpu:,.0f} lines/s CPU")
