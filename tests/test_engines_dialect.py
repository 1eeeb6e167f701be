"""The DuckDB → Spark SQL translation: each construct, value binding, and every matching step.

Fast: no Spark here (that is tests/test_engines_spark.py, ``-m spark``). Where a rewrite is plain
SQL that DuckDB also runs (ASOF → window + range join), DuckDB checks its meaning against the
original on random data.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from decimal import Decimal

import duckdb
import pytest

pytest.importorskip("sqlglot", reason="the dialect layer needs the optional extra `scale`")

from sqlglot import exp  # noqa: E402

from jobs.engines import dialect  # noqa: E402
from jobs.engines.dialect import UnsupportedSQL, statement, transpile  # noqa: E402
from jobs.matching.run import all_steps, rule_params  # noqa: E402
from jobs.settings import Settings  # noqa: E402


def flat(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


# --- statements -----------------------------------------------------------------------------

def test_create_table_as_becomes_a_replaced_view():
    st = statement("CREATE OR REPLACE TEMP TABLE recon__x AS SELECT a FROM t")
    assert (st.action, st.target, st.sql) == ("replace", "recon__x", "SELECT a FROM t")


def test_create_with_columns_becomes_an_empty_view_with_spark_types():
    st = statement("CREATE OR REPLACE TEMP TABLE recon__d (gkey VARCHAR, difference "
                   "DECIMAL(18,4), confidence DOUBLE, candidates VARCHAR[])")
    assert (st.action, st.target) == ("empty", "recon__d")
    assert st.schema == ("gkey STRING, difference DECIMAL(18, 4), confidence DOUBLE, "
                         "candidates ARRAY<STRING>")


def test_insert_appends_and_delete_keeps_the_complement():
    assert statement("INSERT INTO recon__m SELECT a, b FROM t") == dialect.SparkStatement(
        "append", "recon__m", "SELECT a, b FROM t")
    st = statement("DELETE FROM recon__claimed WHERE record_id IS NULL")
    assert (st.action, st.target) == ("replace", "recon__claimed")
    # NULL conditions keep the row, as DELETE does
    assert st.sql == ("SELECT * FROM recon__claimed WHERE NOT COALESCE(record_id IS NULL, FALSE)")


def test_insert_with_a_column_list_is_refused():
    with pytest.raises(UnsupportedSQL, match="column list"):
        statement("INSERT INTO t (a) SELECT 1")


def test_tables_read_are_the_inputs_not_the_steps_own_tables():
    sqls = ["CREATE OR REPLACE TEMP TABLE recon__a AS WITH c AS (SELECT * FROM src) SELECT * FROM c",
            "INSERT INTO recon__a SELECT * FROM recon__a JOIN other USING (id)"]
    assert dialect.tables_read(sqls) == {"src", "other"}


# --- values ---------------------------------------------------------------------------------

def test_values_are_bound_as_typed_literals():
    sql = transpile("SELECT $d, $n, $f, $day, $ts, $none, $flag, $list",
                    {"d": Decimal("0.01"), "n": 5, "f": 85.0, "day": dt.date(2026, 11, 20),
                     "ts": dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
                     "none": None, "flag": True, "list": ["a", "b"]})
    assert sql == ("SELECT 0.01, 5, CAST('85.0' AS DOUBLE), CAST('2026-11-20' AS DATE), "
                   "CAST('2026-11-20 12:00:00' AS TIMESTAMP), NULL, TRUE, ARRAY('a', 'b')")


def test_string_values_cannot_escape_their_literal():
    hostile = "x' OR 1=1 --\\"
    sql = transpile("SELECT * FROM t WHERE name = $name", {"name": hostile})
    assert sql == "SELECT * FROM t WHERE name = 'x\\' OR 1=1 --\\\\'"


def test_decimals_stay_exact_and_unbound_names_are_refused():
    assert transpile("SELECT $x", {"x": Decimal("1E-7")}) == "SELECT 0.0000001"
    with pytest.raises(UnsupportedSQL, match=r"\$missing"):
        transpile("SELECT $missing", {})
    with pytest.raises(UnsupportedSQL, match="cannot bind"):
        transpile("SELECT $x", {"x": object()})


# --- constructs -----------------------------------------------------------------------------

def test_qualify_becomes_a_filtered_subquery():
    sql = flat(transpile("SELECT a, b FROM t QUALIFY count(*) OVER (PARTITION BY a) = 1"))
    assert "QUALIFY" not in sql
    assert sql.endswith("WHERE _w = 1")
    assert dialect.HELPER_COLUMN.match("_w") and dialect.HELPER_COLUMN.match("_w_2")


def test_asof_join_becomes_a_window_and_a_range_join():
    sql = flat(transpile("SELECT a.id, f.rate FROM a ASOF LEFT JOIN f ON f.cur = a.cur "
                         "AND a.day >= f.day"))
    assert "ASOF" not in sql
    assert ("LEFT JOIN (SELECT *, LEAD(day) OVER (PARTITION BY cur ORDER BY day NULLS LAST) "
            "AS recon__asof_next FROM f) AS f") in sql
    assert "(f.recon__asof_next IS NULL OR a.day < f.recon__asof_next)" in sql


def _rewritten_for_duckdb(sql: str) -> str:
    """The ASOF rewrite written back as DuckDB SQL, to run it against DuckDB's own ASOF."""
    return dialect._rewrite(dialect._parse(sql)).sql(dialect.READ)


@pytest.mark.parametrize("inequality", ["a.day >= f.day", "f.day <= a.day", "a.day > f.day",
                                        "a.day <= f.day", "f.day > a.day"])
@pytest.mark.parametrize("seed", range(3))
def test_asof_rewrite_agrees_with_duckdb_asof(inequality, seed):
    rng = random.Random(seed)
    con = duckdb.connect()
    con.execute("CREATE TABLE a (id INT, cur VARCHAR, day INT)")
    con.execute("CREATE TABLE f (cur VARCHAR, day INT, rate INT)")
    con.executemany("INSERT INTO a VALUES (?, ?, ?)",
                    [[i, rng.choice("XYZ"), rng.randint(0, 30)] for i in range(60)])
    # distinct (cur, day): with ties DuckDB's ASOF picks any one of them
    rows = {(rng.choice("XY"), rng.randint(0, 30)) for _ in range(40)}
    con.executemany("INSERT INTO f VALUES (?, ?, ?)", [[c, d, i] for i, (c, d) in enumerate(rows)])
    sql = f"SELECT a.id, f.rate FROM a ASOF LEFT JOIN f ON f.cur = a.cur AND {inequality}"
    expected = sorted(con.execute(sql).fetchall(), key=str)
    assert sorted(con.execute(_rewritten_for_duckdb(sql)).fetchall(), key=str) == expected


def test_list_slice_is_one_based_and_inclusive():
    assert transpile("SELECT toks[i:i + k - 1] FROM t") == \
        "SELECT SLICE(toks, i, i + k - 1 - (i) + 1) FROM t"
    assert transpile("SELECT toks[2:] FROM t") == "SELECT SLICE(toks, 2, SIZE(toks) - (2) + 1) FROM t"


def test_ordered_list_aggregate_sorts_with_a_comparator():
    sql = transpile("SELECT list(r_id ORDER BY score DESC, r_id) FROM t GROUP BY l_id")
    assert sql.startswith("SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(score AS k0, r_id AS "
                          "k1, r_id AS v)), (l, r) -> CASE")
    assert "WHEN l.k0 < r.k0 THEN 1 WHEN l.k0 > r.k0 THEN -1" in sql  # DESC
    assert "WHEN l.k1 < r.k1 THEN -1 WHEN l.k1 > r.k1 THEN 1" in sql  # ASC
    assert "WHEN l.k0 IS NULL AND NOT r.k0 IS NULL THEN 1" in sql  # NULLS LAST, DuckDB's default
    assert sql.endswith("e -> e.v) FROM t GROUP BY l_id")


def test_arg_min_skips_null_values_like_duckdb():
    assert transpile("SELECT arg_min(sub, prec) FROM d") == \
        "SELECT MIN_BY(sub, CASE WHEN NOT sub IS NULL THEN prec END) FROM d"


def test_division_is_in_double_and_null_on_zero():
    assert transpile("SELECT 1 / rate FROM fx") == "SELECT TRY_DIVIDE(CAST(1 AS DOUBLE), rate) FROM fx"


def test_regexp_replace_backreferences_and_flags():
    assert transpile(r"SELECT regexp_replace(s, '([a-z])([A-Z])', '\1 \2', 'g')") == \
        "SELECT REGEXP_REPLACE(s, '([a-z])([A-Z])', '$1 $2')"
    assert transpile("SELECT regexp_replace(s, 'a', '$', 'gi')") == \
        "SELECT REGEXP_REPLACE(s, '(?i)a', '\\\\$')"
    with pytest.raises(UnsupportedSQL, match="'g'"):
        transpile("SELECT regexp_replace(s, 'a', 'b')")


def test_function_equivalents():
    assert transpile("SELECT list_position($c, cause)", {"c": ["x"]}) == \
        "SELECT ARRAY_POSITION(ARRAY('x'), cause)"
    assert transpile("SELECT CAST(timezone('UTC', created) AS DATE)") == \
        "SELECT CAST(created AS DATE)"
    assert transpile("SELECT timezone('Europe/Berlin', created)") == \
        "SELECT FROM_UTC_TIMESTAMP(created, 'Europe/Berlin')"
    assert transpile("SELECT array_length(toks), list_filter(toks, x -> x <> '') FROM t") == \
        "SELECT SIZE(toks), FILTER(toks, x -> x <> '') FROM t"
    assert transpile("SELECT date_diff('day', a, b), md5(s), unnest([a, b]) FROM t") == \
        "SELECT DATEDIFF(DAY, a, b), MD5(s), EXPLODE(ARRAY(a, b)) FROM t"
    assert transpile("SELECT list_has_any(a, b) FROM t") == "SELECT ARRAYS_OVERLAP(a, b) FROM t"


# --- the matching steps ---------------------------------------------------------------------

DUCKDB_ONLY = re.compile(r"\bQUALIFY\b|\bASOF\b|LATERAL \(|\blist_\w+|\bstring_split\w*|"
                         r"\barg_m(in|ax)\b|\btimezone\(|\blen\(|\$[a-z_]|::|\w\[\w+:",
                         re.IGNORECASE)


def test_every_matching_step_translates_without_duckdb_only_syntax():
    settings = Settings()
    params = rule_params(settings, dt.date(2026, 11, 20), None)
    steps = all_steps(settings)
    actions = set()
    for step in steps:
        st = statement(step.sql, params)
        actions.add(st.action)
        text = st.sql or st.schema
        assert not DUCKDB_ONLY.search(text), (step.name, DUCKDB_ONLY.search(text), text)
    assert actions == {"replace", "empty", "append"}
    assert dialect.tables_read([s.sql for s in steps]) >= {"bank_transaction", "ledger_line",
                                                           "fx_rate", "recon__iso"}


def test_literal_nodes_for_every_bound_parameter():
    params = rule_params(Settings(), dt.date(2026, 11, 20), None)
    for name, value in params.items():
        node = dialect.literal(value)
        assert isinstance(node, exp.Expression), name


# --- the engine switch ----------------------------------------------------------------------

def test_duckdb_is_the_default_engine_and_runs_the_embedded_matcher(monkeypatch):
    from jobs import engines
    from jobs.matching import run

    calls = []
    monkeypatch.setattr(run, "match", lambda *args: calls.append(args) or "report")
    settings = Settings()
    assert settings.engine == "duckdb"
    assert engines.match("con", settings, dt.date(2026, 11, 20)) == "report"
    assert calls == [("con", settings, dt.date(2026, 11, 20), None)]


def test_spark_engine_without_the_extra_says_what_to_install(monkeypatch):
    import sys

    from jobs import engines

    monkeypatch.setitem(sys.modules, "jobs.engines.spark", None)  # as if pyspark were missing
    monkeypatch.delattr(engines, "spark", raising=False)
    with pytest.raises(engines.EngineUnavailable, match=r"recon\[scale\]"):
        engines.match("con", Settings(engine="spark"), dt.date(2026, 11, 20))


def test_engine_and_spark_settings_are_validated():
    from jobs.settings import ConfigError

    with pytest.raises(ConfigError, match="engine"):
        Settings.load(config=None, engine="trino")
    assert Settings.load(config=None, home="/h").spark_dir.as_posix() == "/h/spark"
