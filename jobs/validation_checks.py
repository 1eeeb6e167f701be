"""The SQL side of validation: the frames the suites check, the tables results land in, and
the view of critical failures that matching reads (``failure_view_sql``).

Facts about sets of rows (a journal document's balance, PO lines against the PO total, a batch
entry's details against the entry) are computed here in DuckDB as derived columns, so each suite
states them as plain row-level expectations and Great Expectations names the failing records.
Dates reach GX as YYYYMMDD integers: comparing numbers is vectorised, comparing dates is a Python
loop per row (80 % of a 1M-row run when we tried). Nothing here imports Great Expectations.
"""

# ruff: noqa: S608  (every name interpolated below is a module constant; values are bound)
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from jobs.warehouse import current_view_sql

SNAPSHOTS = "recon__validate_snapshot"
"""Temp table (snapshot_id) of the snapshots one validation run covers."""
CURRENCIES = "recon__validate_currency"
"""Temp table (code, unit) of ISO 4217 currencies: the minor unit in ten-thousandths
(EUR 100, JPY 10000, KWD 10)."""

TABLE_SYSTEM = {
    "bank_transaction": "bank",
    "ledger_line": "erp",
    "billing_event": "billing",
    "purchase_order": "procurement",
    "receipt": "procurement",
    "supplier_invoice": "procurement",
}
"""Canonical tables with a suite, and the source system each belongs to."""

KEY_COLUMNS = ("record_id", "snapshot_id")
"""Columns every frame carries, so a failing position maps back to a record version."""

TABLES_SQL = """
CREATE TABLE IF NOT EXISTS record_failure (
    run_id VARCHAR NOT NULL, snapshot_id VARCHAR NOT NULL, record_id VARCHAR,
    source_system VARCHAR, suite VARCHAR NOT NULL, expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS data_quality_alert (
    run_id VARCHAR NOT NULL, source_system VARCHAR NOT NULL, kind VARCHAR NOT NULL,
    severity VARCHAR NOT NULL, message VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL);
"""
"""Tables validation owns besides ``validation_result`` (which the canonical model defines):
one row per failing record and expectation, and one row per observability alert."""


def ensure_tables(con) -> None:
    con.execute(TABLES_SQL)


def ymd(column: str) -> str:
    """SQL: a DATE column as a YYYYMMDD integer (NULL stays NULL); arithmetic, because
    strftime costs ten times as much on a million rows."""
    return f"(year({column}) * 10000 + month({column}) * 100 + day({column}))"


def _utc_ymd(expr: str) -> str:
    """SQL: a TIMESTAMPTZ expression as the YYYYMMDD integer of its UTC date."""
    return f"CAST(strftime(timezone('UTC', {expr}), '%Y%m%d') AS INTEGER)"


def _finer_than_currency(amount: str) -> str:
    """SQL: 1 when an amount has more decimals than its currency has minor units, else 0."""
    # DECIMAL(18,4) in ten-thousandths fits a BIGINT; HUGEINT arithmetic costs 50 times more.
    return (f"CASE WHEN {amount} IS NULL OR cur.unit IS NULL THEN NULL "
            f"WHEN CAST({amount} * 10000 AS BIGINT) % cur.unit <> 0 THEN 1 ELSE 0 END")


def _batch(table: str) -> str:
    return f'SELECT * FROM "{table}" WHERE snapshot_id IN (SELECT snapshot_id FROM {SNAPSHOTS})'


_CURRENCY_JOIN = f"LEFT JOIN {CURRENCIES} cur ON cur.code = t.currency"

# By choice the journal balance is taken over the current version of every line of the
# document, not over the new file alone: an ERP delta export may carry one changed line of a
# document whose other lines arrived earlier. Lines with an unreadable amount leave the balance
# unknown (NULL): the amount expectation reports them instead.
_LEDGER = f"""
    WITH t AS NOT MATERIALIZED ({_batch("ledger_line")}),
    docs AS (
        SELECT c.company_code, c.fiscal_year, c.document_number,
               CASE WHEN count(*) = count(coalesce(c.amount_local, c.amount))
                    THEN sum(coalesce(c.amount_local, c.amount)) END AS journal_imbalance
        FROM ({current_view_sql('ledger_line')}) c
        SEMI JOIN (SELECT DISTINCT company_code, fiscal_year, document_number FROM t) k
             USING (company_code, fiscal_year, document_number)
        GROUP BY ALL)
    SELECT t.*, coalesce({ymd('t.posting_date')}, 0) AS posting_ymd,
           {ymd('t.document_date')} AS document_ymd,
           date_diff('day', t.document_date, t.posting_date) AS posting_lag_days,
           {_finer_than_currency('t.amount')} AS amount_finer_than_currency,
           d.journal_imbalance
    FROM t {_CURRENCY_JOIN}
    LEFT JOIN docs d USING (company_code, fiscal_year, document_number)"""

_BANK = f"""
    SELECT t.*,
           CASE WHEN t.status = 'booked' THEN coalesce({ymd('t.booking_date')}, 0) END
             AS booking_ymd,
           {ymd('t.value_date')} AS value_ymd,
           date_diff('day', t.booking_date, t.value_date) AS value_date_lag_days,
           CASE WHEN t.detail_count > 1 THEN t.entry_amount - sum(t.amount) OVER (
                PARTITION BY t.snapshot_id, t.account, t.statement_id, t.entry_seq) END
             AS entry_detail_gap,
           {_finer_than_currency('t.amount')} AS amount_finer_than_currency
    FROM ({_batch('bank_transaction')}) t {_CURRENCY_JOIN}"""

# Stripe's own rule is net = amount - fee on the balance transaction; the connector stores a
# payout positive (money towards the bank), so there net = amount + fee (connectors/billing).
_BILLING = f"""
    SELECT t.*, {_utc_ymd('t.created')} AS created_ymd,
           CASE WHEN t.kind = 'payout' THEN t.net - (t.amount + t.fee)
                ELSE t.net - (t.amount - t.fee) END AS net_gap
    FROM ({_batch('billing_event')}) t"""

_PURCHASE_ORDER = f"""
    SELECT t.*, {_utc_ymd('coalesce(t.created_at, t.updated_at)')} AS created_ymd,
           t.total - l.lines_total AS po_lines_gap
    FROM ({_batch('purchase_order')}) t
    LEFT JOIN (SELECT po_record_id, sum(total) AS lines_total FROM purchase_order_line
               GROUP BY po_record_id) l ON l.po_record_id = t.record_id"""

_RECEIPT = f"""
    SELECT t.*, {_utc_ymd('t.received_at')} AS received_ymd
    FROM ({_batch('receipt')}) t"""

_SUPPLIER_INVOICE = f"""
    SELECT t.*, {ymd('t.invoice_date')} AS invoice_ymd,
           t.total - l.lines_total AS invoice_lines_gap
    FROM ({_batch('supplier_invoice')}) t
    LEFT JOIN (SELECT invoice_record_id, sum(total) AS lines_total FROM supplier_invoice_line
               GROUP BY invoice_record_id) l ON l.invoice_record_id = t.record_id"""

ENRICHED = {
    "bank_transaction": _BANK,
    "ledger_line": _LEDGER,
    "billing_event": _BILLING,
    "purchase_order": _PURCHASE_ORDER,
    "receipt": _RECEIPT,
    "supplier_invoice": _SUPPLIER_INVOICE,
}
"""Per table: the rows of the snapshots under validation plus the derived columns suites use."""


def frame_sql(table: str, columns: list[str]) -> str:
    """SELECT of the key columns plus ``columns`` (already checked against the frame)."""
    wanted = list(KEY_COLUMNS) + [c for c in columns if c not in KEY_COLUMNS]
    cols = ", ".join(f'"{c}"' for c in wanted)
    return f"SELECT {cols} FROM ({ENRICHED[table]})"


def frame_columns(con, table: str) -> set[str]:
    """Every column a suite on ``table`` may name: canonical and derived."""
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM ({ENRICHED[table]})").fetchall()}


def for_pandas(frame: pa.Table) -> pa.Table:
    """Types GX checks fast: decimals as float64 (exact enough to tell zero from non-zero at
    four decimals; Python Decimal objects are compared one by one), integers as int64 (GX
    vectorises ``between`` only for int64 and float64), repetitive text dictionary-encoded
    (pandas categoricals hash and compare per distinct value, not per row)."""
    columns = []
    for f in frame.schema:
        col = frame.column(f.name)
        if pa.types.is_decimal(f.type):
            col = col.cast(pa.float64())
        elif pa.types.is_integer(f.type):
            col = col.cast(pa.int64())
        elif pa.types.is_string(f.type) and f.name not in ("record_id", "source_ref"):
            col = col.dictionary_encode()
        columns.append(col)
    return pa.Table.from_arrays(columns, names=frame.column_names)


def failures(frame: pa.Table, positions: list[int], **constants: str) -> pa.Table:
    """record_failure rows for the frame rows at ``positions`` (GX's unexpected_index_list)."""
    keys = frame.select(list(KEY_COLUMNS)).take(pa.array(positions, type=pa.int64()))
    n = keys.num_rows
    extra = {k: pa.array([v] * n, type=pa.string()) for k, v in constants.items()}
    return pa.table({**{c: keys.column(c).cast(pa.string()) for c in KEY_COLUMNS}, **extra})


def snapshot_rows(frame: pa.Table, suite: str) -> pa.Table:
    """(suite, snapshot_id, rows): how many records of each snapshot the suite evaluated."""
    ids = pa.table({"snapshot_id": frame.column("snapshot_id").cast(pa.string())})
    counts = ids.group_by("snapshot_id").aggregate([([], "count_all")])
    n = counts.num_rows
    return pa.table({"suite": pa.array([suite] * n, type=pa.string()),
                     "snapshot_id": counts.column("snapshot_id"),
                     "rows": pc.cast(counts.column("count_all"), pa.int64())})


PENDING_SQL = """
    SELECT snapshot_id FROM snapshot s
    WHERE status = 'ok' AND source_system IN ('bank', 'erp', 'billing', 'procurement')
      AND NOT EXISTS (SELECT 1 FROM validation_result v WHERE v.snapshot_id = s.snapshot_id)
    ORDER BY extracted_at, snapshot_id"""
"""Snapshots of status ok that no validation has covered yet."""

RESULTS_SQL = """
    INSERT OR REPLACE INTO validation_result
        (snapshot_id, suite, expectation, severity, success, evaluated_count, unexpected_count,
         sample_ids, run_id)
    SELECT c.snapshot_id, o.suite, o.expectation, o.severity,
           CASE WHEN o.row_level THEN coalesce(f.n, 0) <= (1 - o.mostly) * c.rows
                ELSE o.batch_success END,
           c.rows, CASE WHEN o.row_level THEN coalesce(f.n, 0) END,
           to_json(coalesce(f.sample, [])), $run_id
    FROM recon__validate_rows c
    JOIN recon__validate_outcome o USING (suite)
    LEFT JOIN (SELECT snapshot_id, suite, expectation, count(*) AS n,
                      list_slice(list(record_id ORDER BY record_id), 1, $samples) AS sample
               FROM record_failure WHERE run_id = $run_id
               GROUP BY ALL) f USING (snapshot_id, suite, expectation)"""
"""validation_result per snapshot from the run's failures: success honours ``mostly``."""

SHARE_SQL = """
    SELECT r.snapshot_id, r.rows, coalesce(f.failed, 0) AS failed
    FROM (SELECT snapshot_id, sum(rows) AS rows FROM recon__validate_rows GROUP BY 1) r
    LEFT JOIN (SELECT snapshot_id, count(DISTINCT record_id) AS failed FROM record_failure
               WHERE run_id = $run_id AND severity = 'critical' GROUP BY 1) f USING (snapshot_id)
    ORDER BY r.snapshot_id"""
"""Per validated snapshot: records evaluated and records failing a critical expectation."""

COUNTS_SQL = f"""
    SELECT count(*), count(*) FILTER (WHERE success) FROM validation_result
    WHERE snapshot_id IN (SELECT snapshot_id FROM {SNAPSHOTS})"""
"""Expectation results stored for the run's snapshots, and how many passed."""

TOP_FAILURES_SQL = """
    SELECT suite || ': ' || expectation || ' (' || count(*) || ')' FROM record_failure
    WHERE run_id = $run_id AND snapshot_id = $snapshot_id AND severity = 'critical'
    GROUP BY suite, expectation ORDER BY count(*) DESC, 1 LIMIT 3"""


def store(con, run_id: str, outcomes: list[dict], rows: list[pa.Table],
          failures: list[pa.Table], max_failed_share: float, samples: int) -> dict[str, str]:
    """Replace the snapshots' results and failures, and hold back (or release, when re-validated
    clean) each snapshot by its critical-failure share, in one transaction.

    Returns the held-back snapshots with the reason written to ``snapshot.error``.
    """
    con.execute("CREATE OR REPLACE TEMP TABLE recon__validate_outcome (suite VARCHAR, "
                "expectation VARCHAR, severity VARCHAR, batch_success BOOLEAN, row_level BOOLEAN, "
                "mostly DOUBLE)")
    if outcomes:
        con.executemany("INSERT INTO recon__validate_outcome VALUES (?, ?, ?, ?, ?, ?)",
                        [[o["suite"], o["expectation"], o["severity"], o["batch_success"],
                          o["row_level"], o["mostly"]] for o in outcomes])
    con.execute("CREATE OR REPLACE TEMP TABLE recon__validate_rows "
                "(suite VARCHAR, snapshot_id VARCHAR, rows BIGINT)")
    con.execute("BEGIN TRANSACTION")
    try:
        _append(con, "recon__validate_rows", rows)
        for table in ("record_failure", "validation_result"):
            con.execute(f"DELETE FROM {table} WHERE snapshot_id IN "
                        f"(SELECT snapshot_id FROM {SNAPSHOTS})")
        _append(con, "record_failure", failures)
        con.execute(RESULTS_SQL, {"run_id": run_id, "samples": samples})
        held = _hold_back(con, run_id, max_failed_share)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return held


def _append(con, table: str, parts: list[pa.Table]) -> None:
    for part in parts:
        con.register("_part", part)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _part")
        con.unregister("_part")


def _hold_back(con, run_id: str, limit: float) -> dict[str, str]:
    held = {}
    for snapshot_id, rows, failed in con.execute(SHARE_SQL, {"run_id": run_id}).fetchall():
        share = failed / rows if rows else 0.0
        if share > limit:
            top = [r[0] for r in con.execute(TOP_FAILURES_SQL, {
                "run_id": run_id, "snapshot_id": snapshot_id}).fetchall()]
            held[snapshot_id] = (
                f"held back by validation: {failed} of {rows} records ({share:.0%}) failed a "
                f"critical expectation, above the {limit:.0%} allowed; " + ", ".join(top))
            con.execute("UPDATE snapshot SET status = 'held_back', error = ? WHERE snapshot_id = ?",
                        [held[snapshot_id], snapshot_id])
        else:
            con.execute("UPDATE snapshot SET status = 'ok', error = NULL "
                        "WHERE snapshot_id = ? AND status = 'held_back'", [snapshot_id])
    return held


def failure_view_sql(current: str | None = None) -> str:
    """SELECT (record_id, source_system, detail): critical failures of the record versions that
    matching uses now, one row per record; the shape of ``recon__validation_failure``.

    ``current`` selects (record_id, snapshot_id) of those versions (default: every table's
    ``current_view_sql``): a failure of a version that a later snapshot replaced no longer
    counts, and a held-back snapshot's records are not current at all.
    """
    current = current or " UNION ALL ".join(
        f"SELECT record_id, snapshot_id FROM ({current_view_sql(t)})" for t in TABLE_SYSTEM)
    return f"""
        SELECT f.record_id, any_value(f.source_system) AS source_system,
               string_agg(DISTINCT f.suite || ': ' || f.expectation, '; ') AS detail
        FROM record_failure f
        JOIN ({current}) c USING (record_id, snapshot_id)
        WHERE f.severity = 'critical'
        GROUP BY f.record_id"""
