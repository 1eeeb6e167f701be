"""Publish: the tables Lineage looks up are written sorted by the column compared (so a lookup
reads a row group or two, not the table), and complete."""

from __future__ import annotations

import datetime as dt

import pytest

from app import queries_lineage as ql
from jobs.published import open_current
from tests.rows import balanced, bank, erp, publish_rows

AS_OF = dt.date(2026, 1, 31)
# table -> the column it is looked up by (and so sorted by)
SORTED = {"lineage_key": "key", "match_member": "match_id", "match_group": "match_id",
          "lineage_record": "record_id", "lineage_correlation": "digest"}


@pytest.fixture
def published(tmp_path):
    banks = [bank(f"B{n}", f"{100 + n}.00", "2026-01-20", e2e=f"PAY-{n}") for n in range(9, 0, -1)]
    erps = [line for n in range(1, 10)
            for line in balanced(erp(f"D{n}", f"{100 + n}.00", "2026-01-20", ref=f"PAY-{n}"))]
    # Not matched (another amount, another month), linked only by their correlation id.
    banks.append(bank("B77", "777.00", "2026-01-03", correlation_id="CORR-77"))
    erps += balanced(erp("D88", "5.00", "2025-11-02", correlation_id="CORR-77"))
    # Matched across the month end: flagged as crossing the cut-off.
    banks.append(bank("B50", "500.00", "2026-01-02", e2e="PAY-50"))
    erps += balanced(erp("D50", "500.00", "2025-12-30", ref="PAY-50"))
    publish_rows(tmp_path, banks, erps, AS_OF)
    con = open_current(tmp_path)
    yield con
    con.close()


def test_lookup_tables_are_sorted_by_their_lookup_column(published):
    for table, column in SORTED.items():
        in_rows, rows = published.execute(
            f"SELECT list({column} ORDER BY rowid), count(*) FROM {table}").fetchone()
        assert rows > 1 and in_rows == sorted(in_rows), table


def test_lookups_point_at_every_record_row(published):
    rows, by_id, by_correlation, correlated = published.execute("""
        SELECT (SELECT count(*) FROM record),
               (SELECT count(*) FROM lineage_record l JOIN record r
                  ON r.rowid = l.row AND r.record_id = l.record_id),
               (SELECT count(*) FROM lineage_correlation l JOIN record r
                  ON r.rowid = l.row AND l.digest = md5_number_lower(r.correlation_id)),
               (SELECT count(correlation_id) FROM record)""").fetchone()
    assert rows == by_id > 0 and by_correlation == correlated > 0


def test_lineage_follows_the_correlation_id(published):
    seeds = ql.find(published, "B77")
    ids = ql.chain(published, seeds)
    refs = ql.records(published, ids)["source_ref"].tolist()
    assert "B77" in refs and "DE01/2026/D88/1" in refs
    assert sorted(ql.find(published, "corr-77")) == sorted(ids)


def test_cutoff_matches_are_counted_per_period(published):
    from app import queries_close as qc

    counts = dict(published.execute("SELECT period, matches FROM kpi_cutoff_matches").fetchall())
    assert counts == {"2025-12": 1, "2026-01": 1}
    assert [qc.cutoff_matches(published, p) for p in ("2025-11", "2025-12", "2026-01")] == [0, 1, 1]
