"""Matching on Spark SQL: the DuckDB steps, transpiled, run against temporary views (SPEC §13).

The warehouse stays the system of record. Its canonical tables go to Parquet through Arrow (or,
with ``[spark] catalog``, are read from tables of that catalog), Spark runs ``all_steps`` as
translated by ``jobs.engines.dialect``, and the tables the rest of the cycle reads
(``recon__records``, ``recon__exc_now``) come back to the DuckDB connection through Parquet,
where ``recon__scope`` and ``recon__groups`` are the same views over the records as after
DuckDB matching, so persist, publish and export run unchanged.

Every step's result is materialised (``localCheckpoint``) before the next step runs: steps
append to and reread ``recon__claimed`` dozens of times, and an unmaterialised plan would grow
with each of them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import ArrayType, DoubleType, StringType

from jobs.currencies import iso_codes
from jobs.engines import dialect
from jobs.matching.results import GROUPS, SCOPE
from jobs.matching.run import (
    MatchReport,
    StepFailed,
    all_steps,
    name_similarity,
    rule_params,
    unique_subset,
)
from jobs.matching.steps import Step
from jobs.settings import Settings
from jobs.validation_checks import ensure_tables

RESULTS = ("recon__records", "recon__exc_now")
_LOCAL = {"recon__iso", "recon__windows"}  # built from code and configuration, not read
_BATCH_ROWS = 200_000


class SparkStepFailed(StepFailed):
    def __init__(self, step: Step, err: Exception, spark_sql: str):
        super().__init__(step, err)
        self.args = (f"{self.args[0]}\n--- Spark SQL ---\n{spark_sql}",)


def session(settings: Settings) -> SparkSession:
    """The process's Spark session, configured from ``[spark]``; built once, then reused."""
    cfg = settings.spark
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import jobs and rapidfuzz
    builder = SparkSession.builder.master(cfg.master).appName("recon-matching")
    static = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
    for key, value in {**static, **cfg.conf}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # Session settings the translation relies on: dates of timestamps are UTC dates.
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.shuffle.partitions", str(_partitions(cfg.master,
                                                                   cfg.shuffle_partitions)))
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    _register(spark)
    return spark


def _partitions(master: str, configured: int | None) -> int:
    """Shuffle partitions: as configured, else one per local core (Spark's 200 are made for
    clusters: on one machine each costs a task per step), else 200."""
    if configured:
        return configured
    if not master.startswith("local"):
        return 200
    threads = master.removeprefix("local").strip("[]").split(",")[0]  # local, local[4], local[*]
    if threads == "*":
        return os.cpu_count() or 2
    return int(threads) if threads else 1


@pandas_udf(DoubleType())
def _name_score(left: pd.Series, right: pd.Series) -> pd.Series:
    # Arrow hands missing strings to pandas as NaN: they are missing names, as in DuckDB.
    scores = [name_similarity(a if isinstance(a, str) else None, b if isinstance(b, str) else None)
              for a, b in zip(left, right, strict=True)]
    # Float64 keeps None as NULL: NaN would compare greater than any threshold in Spark.
    return pd.Series(pd.array(scores, dtype="Float64"))


@pandas_udf(ArrayType(StringType()))
def _unique_subset(ids: pd.Series, amounts: pd.Series, target: pd.Series) -> pd.Series:
    # lists arrive as arrays; DECIMAL elements as decimal.Decimal, exact as in DuckDB
    return pd.Series([None if i is None or a is None else unique_subset(list(i), list(a), t)
                      for i, a, t in zip(ids, amounts, target, strict=True)], dtype=object)


def _register(spark: SparkSession) -> None:
    spark.udf.register("name_score", _name_score)
    spark.udf.register("unique_subset", _unique_subset)


def match(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: dt.date,
          until: dt.datetime | None = None, spark: SparkSession | None = None) -> MatchReport:
    """``jobs.matching.run.match`` on Spark: same steps, same outputs on ``con``."""
    spark = spark or session(settings)
    folder = settings.spark_dir
    steps = all_steps(settings)
    started = time.perf_counter()
    ensure_tables(con)
    inputs = sorted(dialect.tables_read([s.sql for s in steps]) - _LOCAL)
    if settings.spark.catalog:
        for name in inputs:
            spark.table(f"{settings.spark.catalog}.{name}").createOrReplaceTempView(name)
    else:
        for name in inputs:
            path = export_table(con, name, folder / "inputs")
            spark.read.parquet(str(path)).createOrReplaceTempView(name)
    _reference_views(spark, settings)
    report = MatchReport()
    report.seconds_by_step["spark: inputs"] = time.perf_counter() - started
    execute(spark, steps, rule_params(settings, as_of, until), report)
    started = time.perf_counter()
    for name in RESULTS:
        bring_back(spark, con, name, folder / "results", settings.spark.catalog)
    con.execute(SCOPE)
    con.execute(GROUPS)
    report.seconds_by_step["spark: results"] = time.perf_counter() - started
    return report


def _reference_views(spark: SparkSession, settings: Settings) -> None:
    """The two small tables ``run.match`` builds from code and configuration."""
    spark.createDataFrame([(c,) for c in sorted(iso_codes())], "code STRING") \
        .createOrReplaceTempView("recon__iso")
    spark.createDataFrame(sorted(settings.settlement_days.items()), "workflow STRING, days INT") \
        .createOrReplaceTempView("recon__windows")


def execute(spark: SparkSession, steps: list[Step], params: dict,
            report: MatchReport | None = None) -> MatchReport:
    """Run steps in order, each translated then materialised; failures name the step."""
    report = report or MatchReport()
    for step in steps:
        started = time.perf_counter()
        statement = dialect.statement(step.sql, params)
        try:
            _apply(spark, statement)
        except Exception as err:  # Spark raises many kinds; all are this step's failure
            raise SparkStepFailed(step, err, statement.sql or statement.schema) from err
        report.seconds_by_step[step.name] = time.perf_counter() - started
    return report


def _apply(spark: SparkSession, st: dialect.SparkStatement) -> None:
    if st.action == "empty":
        _store(spark.createDataFrame([], st.schema), st.target)
    elif st.action == "replace":
        _store(_without_helpers(spark.sql(st.sql)), st.target)
    elif st.action == "append":
        old = spark.table(st.target)
        new = spark.sql(st.sql)
        if len(new.columns) != len(old.columns):
            raise ValueError(f"{st.target} has {len(old.columns)} columns, "
                             f"the query gives {len(new.columns)}")
        new = new.toDF(*old.columns).select(
            *[F.col(f.name).cast(f.dataType) for f in old.schema.fields])
        _store(old.unionAll(new), st.target)
    else:
        raise ValueError(f"a step must create or change a table, not run a bare {st.action}")


def _without_helpers(df: DataFrame) -> DataFrame:
    drop = [c for c in df.columns if dialect.HELPER_COLUMN.match(c)]
    return df.drop(*drop) if drop else df


def _store(df: DataFrame, name: str | None) -> None:
    df.localCheckpoint(eager=True).createOrReplaceTempView(str(name))


def export_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> Path:
    """Write a warehouse table to ``folder/<table>.parquet`` through Arrow, in batches.

    JSON columns (raw payloads) stay behind: matching never reads them.
    """
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_schema = 'main' AND data_type <> 'JSON' ORDER BY ordinal_position",
        [table]).fetchall()]
    if not cols:
        raise ValueError(f"the warehouse has no table {table!r}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.parquet"
    listed = ", ".join(f'"{c}"' for c in cols)
    reader = con.execute(f'SELECT {listed} FROM "{table}"').fetch_record_batch(_BATCH_ROWS)  # noqa: S608 - names from the catalog
    with pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    return path


def bring_back(spark: SparkSession, con: duckdb.DuckDBPyConnection, name: str, folder: Path,
               catalog: str | None = None) -> None:
    """Copy a Spark view into a DuckDB temporary table of the same name (through Parquet)."""
    df = spark.table(name)
    if catalog:
        df.write.mode("overwrite").saveAsTable(f"{catalog}.{name}")
    path = folder / name
    if path.exists():
        shutil.rmtree(path)
    df.write.mode("overwrite").parquet(str(path))
    table = pq.read_table(path).select(df.columns)
    con.register("recon__from_spark", table)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM recon__from_spark")  # noqa: S608 - name from RESULTS
    finally:
        con.unregister("recon__from_spark")

