"""The same matching on Spark SQL (PySpark, local mode) as on DuckDB: construct by construct on
small tables, then a whole simulated enterprise compared through the SPEC §10 exports.

Slow (a JVM, then two full cycles over 50,000 simulated records): ``make test-spark``.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark", reason="the Spark engine needs the optional extra `scale`")

from jobs import engines, pipeline  # noqa: E402
from jobs.engines import dialect  # noqa: E402
from jobs.engines import spark as spark_engine  # noqa: E402
from jobs.settings import Settings  # noqa: E402

AS_OF = dt.date(2026, 11, 20)
RECORDS = int(os.environ.get("RECON_SPARK_TEST_RECORDS", "50000"))


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    home = tmp_path_factory.mktemp("spark-home")
    # catalog tables go under the test's folder, not ./spark-warehouse
    conf = {"spark.sql.warehouse.dir": str(home / "catalog")}
    return spark_engine.session(Settings.load(home=home, spark={"conf": conf}))


@pytest.fixture
def both(spark):
    """Create the same small tables on DuckDB and Spark; run a DuckDB query on each."""
    con = duckdb.connect()

    class Both:
        duck = con

        def table(self, name: str, columns: str, rows: list[tuple]) -> None:
            con.execute(f"CREATE TABLE {name} ({columns})")
            if rows:
                con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[0]))})",
                                [list(r) for r in rows])
            schema = dialect.statement(f"CREATE TABLE {name} ({columns})").schema
            spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

        def rows(self, sql: str, params: dict | None = None) -> tuple[list, list]:
            duck = con.execute(sql, params or {}).fetchall()
            other = [tuple(r) for r in spark.sql(dialect.transpile(sql, params)).collect()]
            return sorted(duck, key=repr), sorted(other, key=repr)

    yield Both()
    con.close()


def test_arg_min_takes_the_first_non_null_value_by_precedence(both):
    both.table("d", "record_id VARCHAR, cause VARCHAR, sub VARCHAR, other VARCHAR",
               [("r1", "amount_variance", None, "b"), ("r1", "mapping_error", "x", "a"),
                ("r1", "amount_variance", "bank_fee", "c"), ("r2", "timing", None, None)])
    duck, other = both.rows("""
        SELECT record_id, arg_min(cause, prec), arg_min(sub, prec) FROM (
            SELECT *, (list_position($causes, cause), other) AS prec FROM d) GROUP BY record_id""",
        {"causes": ["mapping_error", "amount_variance", "timing"]})
    assert duck == other == [("r1", "mapping_error", "x"), ("r2", "timing", None)]


def test_ordered_list_aggregate(both):
    both.table("c", "l_id VARCHAR, r_id VARCHAR, score DOUBLE",
               [("a", "x", 90.0), ("a", "y", 95.0), ("a", "w", 90.0), ("b", "z", 88.5)])
    duck, other = both.rows("SELECT l_id, list(r_id ORDER BY score DESC, r_id) FROM c GROUP BY l_id")
    assert [(k, list(v)) for k, v in other] == [(k, list(v)) for k, v in duck] == [
        ("a", ["y", "w", "x"]), ("b", ["z"])]


def test_asof_join_takes_the_latest_rate_on_or_before_the_date(both):
    both.table("fx", "date DATE, from_currency VARCHAR, to_currency VARCHAR, rate DECIMAL(18,8)",
               [(dt.date(2026, 1, d), "EUR", "USD", Decimal(f"1.{d:02d}")) for d in (1, 5, 9)])
    both.table("a", "id INT, currency VARCHAR, event_date DATE",
               [(i, "EUR", dt.date(2026, 1, 1) + dt.timedelta(days=i)) for i in range(-1, 12)])
    duck, other = both.rows("""
        SELECT a.id, f.rate, 1 / f.rate FROM a ASOF LEFT JOIN fx f
        ON f.from_currency = a.currency AND f.to_currency = 'USD' AND a.event_date >= f.date""")
    assert [(i, r) for i, r, _ in duck] == [(i, r) for i, r, _ in other]
    assert [inv for *_, inv in duck] == pytest.approx([inv for *_, inv in other])


def test_pair_sides_and_list_claims(both):
    from jobs.matching.steps import per_side

    both.table("p", "l_id VARCHAR, r_id VARCHAR, e_id VARCHAR",
               [("a", "b", None), ("c", "d", "e")])
    duck, other = both.rows(per_side("{id} AS id, {side} AS side", "p", [
        {"id": "l_id", "side": "'left'"}, {"id": "r_id", "side": "'right'"},
        {"id": "e_id", "side": "'right'"}], "{id} IS NOT NULL"))
    assert sorted(duck) == sorted(other) and len(duck) == 5
    duck, other = both.rows("SELECT DISTINCT unnest([l_id, r_id, e_id]) AS x FROM p")
    assert duck == other


def test_remittance_grams(both):
    from jobs.matching.rules_bank import grams_step

    both.table("recon__claimed", "record_id VARCHAR", [("b5",)])
    both.table("recon__erp_key", "record_id VARCHAR, key VARCHAR",
               [("e1", "E2E42"), ("e2", "INVDE01004711"), ("e3", "INVGB017"), ("e4", "CLAIMED"),
                ("e5", "92000009"), ("e6", "91000005")])
    both.table("recon__billing", "ref VARCHAR, kind VARCHAR",
               [("POABCDE", "payout"), ("CHTHANKS", "charge")])
    both.table("recon__bank",
               "record_id VARCHAR, ref VARCHAR, text VARCHAR, text_cut VARCHAR, name VARCHAR",
               [("b1", None, "INV DE01 004711 THANKS", "INV DE01 004711 THANKS", None),
                ("b2", None, "", "", None), ("b3", "X", "SAMMELZAHLUNGINV-GB01-7",
                                              "SAMMELZAHLUNG INV-GB01-7", "ACME"),
                ("b4", "E2E42", "SETTLED BY ITS END TO END ID", "SETTLED BY ITS END TO END ID",
                 None),
                ("b5", None, "CLAIMED ALREADY", "CLAIMED ALREADY", None),
                ("b6", None, "STRIPE PO ABCDE CH THANKS", "STRIPE PO ABCDE CH THANKS", None),
                # the invoice number in a Zengin payer name; a zero-padded number in the text
                ("b7", None, "", "", "92000009 ﾎｼﾉｼﾖｳｶｲ(ｶ"),
                ("b8", None, "REF 0091000005", "REF 0091000005", None)])
    select = grams_step().sql.split(" AS\n", 1)[1]
    duck, other = both.rows(select)
    # only grams that are an ERP key or a payout id; none from claimed or settled lines
    assert sorted(duck) == sorted(other) == [("b1", "INVDE01004711"), ("b3", "INVGB017"),
                                             ("b6", "POABCDE"), ("b7", "92000009"),
                                             ("b8", "91000005")]


def test_strings_dates_and_digits(both):
    from jobs.matching.outcome import _digits

    both.table("t", "s VARCHAR, ts TIMESTAMPTZ, amt DECIMAL(18,4), other DECIMAL(18,4)",
               [("SammelzahlungINV 0000171INV", dt.datetime(2026, 1, 1, 23, 30,
                                                             tzinfo=dt.timezone(dt.timedelta(hours=-5))),
                 Decimal("123.4500"), Decimal("-132.4500"))])
    duck, other = both.rows(rf"""SELECT
        regexp_replace(regexp_replace(s, '([a-z])([A-Z])', '\1 \2', 'g'),
                       '([0-9])([A-Za-z])', '\1 \2', 'g'),
        CAST(timezone('UTC', ts) AS DATE), {_digits('amt')} = {_digits('other')},
        date_diff('day', CAST(timezone('UTC', ts) AS DATE), $as_of)
        FROM t""", {"as_of": AS_OF})
    assert duck == other == [("Sammelzahlung INV 0000171 INV", dt.date(2026, 1, 2), True, 322)]


def test_qualify_with_star_keeps_only_the_table_columns(both, spark):
    both.table("q", "a VARCHAR, b INT", [("x", 1), ("x", 2), ("y", 3)])
    duck, other = both.rows("SELECT * FROM q QUALIFY count(*) OVER (PARTITION BY a) = 1")
    assert duck == [("y", 3)] and other == [("y", 3, 1)]  # the helper column leaks here...
    st = dialect.statement("CREATE TEMP TABLE q1 AS SELECT * FROM q "
                           "QUALIFY count(*) OVER (PARTITION BY a) = 1")
    spark_engine._apply(spark, st)  # ...and the executor drops it from stored views
    assert spark.table("q1").columns == ["a", "b"]


def test_name_score_udf_is_the_same_function_and_null_stays_null(both):
    from jobs.matching.run import _register

    _register(both.duck)
    both.table("n", "a VARCHAR, b VARCHAR",
               [("Schröder GmbH", "SCHROEDER"), (None, "x"), ("Acme Ltd", "Widget Co")])
    duck, other = both.rows("SELECT a, b, name_score(a, b), name_score(a, b) >= 85 FROM n")
    assert duck == other
    assert [r[3] for r in other] == [False, True, None]  # None: never "above" a threshold


def test_a_failing_step_is_named_with_both_sqls(spark):
    import logging

    from jobs.matching.steps import Step

    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)  # expected: quiet

    step = Step("broken", "CREATE OR REPLACE TEMP TABLE recon__x AS SELECT nope FROM recon__iso")
    spark_engine._reference_views(spark, Settings())
    with pytest.raises(spark_engine.SparkStepFailed, match="(?s)'broken'.*--- SQL ---.*--- Spark SQL"):
        spark_engine.execute(spark, [step], {})


@pytest.mark.parametrize(("master", "configured", "expected"), [
    ("local[3]", None, 3), ("local", None, 1), ("local[4,2]", None, 4), ("yarn", None, 200),
    ("local[*]", 16, 16), ("local[*]", None, os.cpu_count())])
def test_shuffle_partitions_follow_the_cores_of_a_local_master(master, configured, expected):
    assert spark_engine._partitions(master, configured) == expected


def test_inputs_and_results_can_live_in_a_catalog(spark, tmp_path):
    from jobs.matching.run import match as duckdb_match

    sources, home = tmp_path / "sim", tmp_path / "home"
    _cli("simulate", "--out", str(sources), "--seed", "2", "--records", "1500",
         "--as-of", AS_OF.isoformat())
    _cli("run", "--home", str(home), "--sources", str(sources), "--as-of", AS_OF.isoformat())
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    duckdb_match(con, Settings.load(home=home), AS_OF)
    con.execute("CREATE TEMP TABLE duck_exc AS SELECT * EXCLUDE (candidates) FROM recon__exc_now")
    con.execute("CREATE TEMP TABLE duck_groups AS SELECT match_id, record_id FROM recon__groups")
    spark.sql("CREATE DATABASE IF NOT EXISTS recon_in")
    for name in ("account", "bank_transaction", "billing_event", "counterparty", "entity", "fx_rate",
                 "ledger_line", "purchase_order", "purchase_order_line", "receipt",
                 "record_failure", "snapshot", "supplier_invoice"):
        path = spark_engine.export_table(con, name, tmp_path / "export")
        spark.read.parquet(str(path)).write.mode("overwrite").saveAsTable(f"recon_in.{name}")
    settings = Settings.load(home=home, spark={"catalog": "spark_catalog.recon_in"})
    spark_engine.match(con, settings, AS_OF, spark=spark)
    assert not (home / "spark" / "inputs").exists()  # read from the catalog, nothing exported
    for mine, theirs in (("duck_exc", "(SELECT * EXCLUDE (candidates) FROM recon__exc_now)"),
                         ("duck_groups", "(SELECT match_id, record_id FROM recon__groups)")):
        assert con.execute(f"SELECT count(*) FROM (FROM {mine} EXCEPT ALL FROM {theirs})"
                           ).fetchone()[0] == 0
        assert con.execute(f"SELECT count(*) FROM {theirs}").fetchone()[0] == \
            con.execute(f"SELECT count(*) FROM {mine}").fetchone()[0]
    saved = spark.table("spark_catalog.recon_in.recon__exc_now").count()
    assert saved == con.execute("SELECT count(*) FROM duck_exc").fetchone()[0] > 0
    con.close()


# --- a whole enterprise on both engines -----------------------------------------------------

def _cli(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RECON_HOME"}
    proc = subprocess.run([sys.executable, "-m", "jobs", *args], capture_output=True, text=True,
                          env=env, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory, spark):
    """One simulation, reconciled once per engine; the exports of each."""
    root = tmp_path_factory.mktemp("engines")
    sources = root / "sim"
    _cli("simulate", "--out", str(sources), "--seed", "1", "--records", str(RECORDS),
         "--as-of", AS_OF.isoformat())
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "match", engines.match)  # until jobs.pipeline calls jobs.engines
        for engine in ("duckdb", "spark"):
            home = root / engine
            settings = Settings.load(home=home, engine=engine)
            summary = pipeline.run_cycle(settings, sources, AS_OF)
            exports = {}
            for kind in ("exceptions", "matches"):
                exports[kind] = root / f"{engine}-{kind}.csv"
                _cli("export", kind, "--home", str(home), "--format", "csv",
                     "--out", str(exports[kind]))
            out[engine] = (summary, exports)
    return out


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _groups(path: Path) -> dict[frozenset, tuple]:
    members: dict[str, set] = defaultdict(set)
    kind: dict[str, tuple] = {}
    for r in _rows(path):
        members[r["match_id"]] |= {(r["left_system"], r["left_ref"]),
                                   (r["right_system"], r["right_ref"])}
        kind[r["match_id"]] = (r["match_id"], r["workflow"], r["rule"], r["confidence"])
    return {frozenset(m): kind[k] for k, m in members.items()}


def test_spark_run_has_the_same_match_groups(reconciled):
    duck, spark = (_groups(reconciled[e][1]["matches"]) for e in ("duckdb", "spark"))
    assert len(duck) > RECORDS // 4
    assert set(spark) == set(duck)  # the same member sets...
    assert spark == duck  # ...with the same ids, workflows, rules and confidences


def test_spark_run_has_the_same_exceptions_and_causes(reconciled):
    duck, spark = (_rows(reconciled[e][1]["exceptions"]) for e in ("duckdb", "spark"))
    assert len(duck) > 100
    by_id = {r["exception_id"]: r for r in duck}
    assert {r["exception_id"] for r in spark} == set(by_id)
    causes = {(r["exception_id"], r["cause"], r["sub_cause"]) for r in spark}
    assert causes == {(r["exception_id"], r["cause"], r["sub_cause"]) for r in duck}
    assert spark == duck  # every column of the report, in the same order


def test_throughput_is_reported(reconciled):
    for engine, (summary, _) in reconciled.items():
        rows = sum(summary.records_by_system.values())
        seconds = summary.seconds["match"]
        print(f"{engine}: {rows} records matched in {seconds:.1f} s = {rows / seconds:,.0f} rows/s")
        assert rows > RECORDS
