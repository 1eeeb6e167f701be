"""Every dashboard page's server-side work on a published home, measured two ways.

``python -m tests.benchmarks.bench_pages HOME [--repeat N] [--no-app]`` prints a table and then
one JSON line.

* **queries**: the exact query functions each page calls (as ``app/app_pages/*.py`` calls them),
  on a fresh read-only connection to the published run (nothing cached), with the default
  filters and with one filter set (the biggest workflow and entity); the median of ``repeat``
  runs. The steps of each page are timed too (``steps`` in the JSON), to see what to profile.
* **script**: the whole page run headless through ``streamlit.testing.v1.AppTest`` against the
  home (``RECON_HOME``; a throw-away workflow store), Streamlit's caches cleared first (cold:
  the first reader after a publish), then rerun once (warm: the caches hit), and once more
  after setting the filter set in the sidebar (what depends on the filters is read again).
  This includes session setup (the sidebar's filter options), charts, tables and Streamlit's
  own overhead.

Downloads are made on click, not on render: the exception export (CSV, XLSX of the default
view) and the close pack (HTML) are timed as rows of their own, calling the very callable the
download button holds.

The home is only read: the workflow store lives in a temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

ENTRYPOINT = Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py"
PAGE_FILES = {"overview": "app_pages/overview.py", "exceptions": "app_pages/exceptions.py",
              "lineage": "app_pages/lineage.py", "quality": "app_pages/data_quality.py",
              "jobs": "app_pages/jobs.py", "close": "app_pages/close_review.py"}
# Rows of the table: page renders, then the work done on click.
LINEAGE_ROWS = ("lineage (ERP document)", "lineage (bank reference)")
RENDERS = ("overview", "exceptions", *LINEAGE_ROWS, "quality", "jobs", "close")
CLICKS = ("exceptions export CSV", "exceptions export XLSX", "close pack HTML")
BUDGET_S = 1.0  # the deliverable: each page's server-side work within 1 s at 5M records


@dataclass
class Bench:
    """What the pages are measured with: the home, its settings, filters and identifiers."""

    home: Path
    settings: Any
    filters: Any                 # app.queries.Filters in use (default or the filter set)
    overlay: pa.Table            # the workflow store's state (empty: a fresh store)
    identifiers: dict[str, str]  # lineage row -> identifier searched
    steps: dict[str, float] = field(default_factory=dict)
    setup: float = 0.0           # seconds of a run that belong to another row (not counted)

    @contextmanager
    def step(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - started

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        with self.step(name):
            return fn(*args)


# --- (a) the query functions of each page ---------------------------------------------------

def shared(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    """What the entrypoint reads on every page (``session.build``), cached per run."""
    from app import queries
    b.run("run_info", queries.run_info, con)
    b.run("entity_names", queries.entity_names, con)
    b.run("filter_options", queries.filter_options, con)


def overview(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    """``data._overview``: every figure of the Overview page."""
    from app import queries as q
    from app import queries_latency as ql
    policy, f = q.AgingPolicy.from_settings(b.settings), b.filters
    b.run("match_rate", q.match_rate, con, f)
    b.run("open_exceptions", q.open_exceptions, con, f, (), policy)
    b.run("exception_age", q.exception_age, con, f)
    b.run("currency_amounts", q.currency_amounts, con, f, policy)
    b.run("match_rate by workflow", q.match_rate, con, f, ["workflow"])
    b.run("open_exceptions by cause", q.open_exceptions, con, f, ["cause"], policy)
    b.run("open_exceptions by age, cause", q.open_exceptions, con, f, ["age_bucket", "cause"],
          policy)
    b.run("match_rate by entity, period", q.match_rate, con, f, ["entity", "period"])
    b.run("open_exceptions by queue", q.open_exceptions, con, f, ["queue"], policy)
    matches = b.run("match_histogram", ql.match_histogram, con)  # once per run (data._latency)
    feeds = b.run("feed_histogram", ql.feed_histogram, con)
    b.run("sync_latency", ql.sync_latency, con, f, matches)
    b.run("cycle_time", ql.cycle_time, con, f, matches)
    b.run("feed_latency", ql.feed_latency, con, f, feeds)


def _report(b: Bench) -> dict[str, list[str]]:
    from app import queries_exceptions as q
    return q.QueueFilters().report(b.filters)  # the page's defaults: open, any queue


def exceptions(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    """The queue: queue names, totals of the view and its first page of rows."""
    from app import exception_panels as panels
    from app import queries_exceptions as q
    configured = sorted(set(b.settings.queues.values()))
    queues = b.run("queue_names", q.queue_names, con, configured)
    q.with_overlay_queues(queues, b.overlay)
    q.assignee_names(b.overlay)
    report = _report(b)
    b.run("totals", q.totals, con, report, b.overlay)
    b.run("page", q.page, con, report, b.overlay, panels.PAGE_SIZE, 0)


def lineage(con: duckdb.DuckDBPyConnection, b: Bench, text: str) -> None:
    """A search and the chain it leads to (the Lineage page with ``?id=text``)."""
    from app import queries_lineage as ql
    seeds = b.run("find", ql.find, con, text)
    if not seeds:
        raise SystemExit(f"lineage: no record has the identifier {text!r}")
    ids = b.run("chain", ql.chain, con, seeds)
    recs = b.run("records", ql.records, con, ids)
    excs = b.run("exceptions", ql.exceptions, con, ids)
    b.run("hops", ql.hops, recs, excs, [])
    b.run("validations", ql.validations, con, tuple(recs["snapshot_id"].dropna().unique()), ids)


def quality(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    from app import queries_ops as qo
    b.run("pass_rate_by_source", qo.pass_rate_by_source, con)
    b.run("pass_rate_by_snapshot", qo.pass_rate_by_snapshot, con)
    b.run("quarantined", qo.quarantined, con)
    b.run("alerts", qo.alerts, con)
    b.run("snapshot_ids", qo.snapshot_ids, con)
    b.run("expectation_results", qo.expectation_results, con, None, True)
    b.run("record_failures", qo.record_failures, con)


def jobs(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    from app import queries_ops as qo
    from app import runner
    b.run("runner status", runner.status, b.home)
    b.run("runs", qo.runs, con)
    b.run("health", qo.health, con)
    b.run("freshness", qo.freshness, con)


def close_view(con: duckdb.DuckDBPyConnection, b: Bench) -> dict:
    """The Close review page for its default period (the latest period already ended)."""
    from app import queries as q
    from app import queries_close as qc
    as_of = q.run_info(con).as_of
    periods = b.run("periods", qc.periods, con)
    ended = [p for p in periods if qc.close_period(p, as_of).end < as_of]
    close = qc.close_period(ended[0] if ended else periods[0], as_of)
    amounts = b.run("by_entity", qc.by_entity, con, close.period, b.filters, b.overlay)
    status = qc.entity_status(amounts, close)
    causes = b.run("top_causes", qc.top_causes, con, close.period, b.filters, b.overlay)
    trend = b.run("trend", qc.trend, con, close.period, b.filters, b.overlay)
    cutoff = b.run("cutoff_matches", qc.cutoff_matches, con, close.period)
    return {"close": close, "amounts": amounts, "status": status, "causes": causes,
            "trend": trend, "cutoff": cutoff}


def close(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    close_view(con, b)


def export(fmt: str) -> Callable[[duckdb.DuckDBPyConnection, Bench], None]:
    """The exception report of the default view, as the download button makes it."""
    def make(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
        from app import exports
        data = b.run(f"exceptions_bytes {fmt}", exports.exceptions_bytes, con, _report(b),
                     b.overlay, fmt, False)
        b.steps[f"({len(data) / 2**20:.1f} MiB)"] = 0.0
    return make


def close_pack(con: duckdb.DuckDBPyConnection, b: Bench) -> None:
    """The close pack as the page makes it: figures, then the self-contained HTML."""
    from app import charts_close, queries, report
    started = time.perf_counter()
    view = close_view(con, b)
    b.setup, b.steps = time.perf_counter() - started, {}  # the view is the page's (``close``)
    run = queries.run_info(con)
    with b.step("figures"):
        figures = [charts_close.open_by_entity(view["status"]),
                   charts_close.top_causes(view["causes"]),
                   charts_close.trend(view["trend"], view["close"].period)]
    b.run("close_report", report.close_report, view["close"], run, "headline", {},
          view["status"], view["amounts"], view["causes"], view["trend"], figures)


def queries_of(b: Bench) -> dict[str, Callable[[duckdb.DuckDBPyConnection, Bench], None]]:
    pages: dict[str, Callable] = {"shared (every page)": shared, "overview": overview,
                                  "exceptions": exceptions}
    for row in LINEAGE_ROWS:
        pages[row] = lambda con, b, text=b.identifiers[row]: lineage(con, b, text)
    pages |= {"quality": quality, "jobs": jobs, "close": close,
              "exceptions export CSV": export("csv"), "exceptions export XLSX": export("xlsx"),
              "close pack HTML": close_pack}
    return pages


def measure_queries(b: Bench, repeat: int = 3) -> tuple[dict[str, float], dict[str, float],
                                                       dict[str, dict]]:
    """Per page (each run on a fresh connection): median seconds, median CPU seconds (of this
    process and DuckDB's threads: steadier than wall time on a shared machine), and the steps'
    seconds of the median run."""
    from jobs.published import open_current
    seconds, cpu, steps = {}, {}, {}
    for name, fn in queries_of(b).items():
        runs = []
        for _ in range(repeat if "export" not in name else 1):
            con = open_current(b.home)
            try:
                b.steps, b.setup = {}, 0.0
                started, cpu_started = time.perf_counter(), time.process_time()
                fn(con, b)
                share = b.setup / max(time.perf_counter() - started, 1e-9)  # of another row
                runs.append((time.perf_counter() - started - b.setup,
                             (time.process_time() - cpu_started) * (1 - share), dict(b.steps)))
            finally:
                con.close()
        total, _, parts = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
        seconds[name] = round(total, 4)
        cpu[name] = round(sorted(r[1] for r in runs)[len(runs) // 2], 4)
        steps[name] = {k: round(v, 4) for k, v in parts.items()}
    return seconds, cpu, steps


# --- (b) the whole page through AppTest -----------------------------------------------------

def measure_app(b: Bench, filtered: Any) -> dict[str, dict[str, float]]:
    """Seconds of ``at.run()`` per page: cold (Streamlit's caches cleared), warm (a rerun),
    and after setting ``filtered`` in the sidebar (caches of the run kept); and the on-click
    downloads."""
    import streamlit as st
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import AppTest

    made: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def capture(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name,
                        **kwargs)

    def timed(action: Callable[[], Any]) -> tuple[float, float]:
        """Wall and CPU seconds of ``action`` (CPU of this process: the script runs in one of
        its threads, and so do DuckDB's). The garbage of earlier steps (the exports' millions
        of objects) is collected first, not during the page."""
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        action()
        if at.exception or at.error:
            raise SystemExit(f"the page failed: {[e.value for e in (*at.exception, *at.error)]}")
        return (round(time.perf_counter() - started, 4),
                round(time.process_time() - cpu_started, 4))

    def visit(row: str) -> Callable[[], Any]:
        """What showing ``row`` takes: Lineage is reached with ``?id=`` (as from a link), then
        another identifier is typed."""
        if not landed:
            landed.append(row)
            return at.run
        if row == LINEAGE_ROWS[0]:
            at.query_params["id"] = b.identifiers[row]
            return lambda: at.switch_page(PAGE_FILES["lineage"]).run()
        if row in LINEAGE_ROWS:
            return lambda: at.text_input(key="id").set_value(b.identifiers[row]).run()
        return lambda: at.switch_page(PAGE_FILES[row]).run()

    out: dict[str, dict[str, float]] = {k: {} for k in ("cold", "cold_cpu", "warm", "filtered",
                                                       "filtered_cpu", "click")}
    landed: list[str] = []  # the first run lands on the Overview
    MediaFileManager.add_deferred = capture
    try:
        at = AppTest.from_file(str(ENTRYPOINT), default_timeout=600)
        for row in RENDERS:  # imports and first compiles: once per server, not per page
            timed(visit(row))
        for row in RENDERS:  # cold: Streamlit's caches cleared, as for the first reader of a run
            show = visit(row)
            st.cache_data.clear()
            st.cache_resource.clear()
            out["cold"][row], out["cold_cpu"][row] = timed(show)
            out["warm"][row] = timed(at.run)[0]
            if row == "exceptions":
                for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX")):
                    name = next(n for n in made if n.endswith(f".{fmt}"))
                    out["click"][f"exceptions export {label}"] = _click(made[name])
            if row == "close":
                name = next(n for n in made if n.endswith(".html"))
                out["click"]["close pack HTML"] = _click(made[name])
        for row in RENDERS:  # every page seen once more: the caches of the run are full
            timed(visit(row))
        at.multiselect(key="workflow").set_value(list(filtered.workflow))
        at.multiselect(key="entity").set_value(list(filtered.entity))
        for row in RENDERS:  # then a reader sets the filters: what depends on them is read again
            out["filtered"][row], out["filtered_cpu"][row] = timed(visit(row))
    finally:
        MediaFileManager.add_deferred = original
    return out


def _click(make: Callable[[], bytes]) -> float:
    started = time.perf_counter()
    make()
    return round(time.perf_counter() - started, 4)


# --- the whole measurement ------------------------------------------------------------------

def identifiers(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Real identifiers to search: an ERP document number and a bank reference, both of
    matched records (so the chain crosses systems); the same ones every time for a given run."""
    def raw(system: str) -> dict:
        row = con.execute("SELECT raw FROM record WHERE source_system = ? AND match_id IS NOT NULL "
                          "AND raw IS NOT NULL ORDER BY record_id LIMIT 1", [system]).fetchone()
        return json.loads(row[0]) if row else {}

    erp_doc = raw("erp").get("document_number")
    bank = raw("bank")
    bank_ref = (bank.get("entry") or {}).get("acct_svcr_ref") or (
        bank.get("detail") or {}).get("end_to_end_id")
    if not (erp_doc and bank_ref):  # other formats: the records' own references
        erp_doc, bank_ref = (con.execute("SELECT min(source_ref) FROM record "
                                         "WHERE source_system = ?", [s]).fetchone()[0]
                             for s in ("erp", "bank"))
    return dict(zip(LINEAGE_ROWS, (erp_doc, bank_ref), strict=True))


def filter_set(con: duckdb.DuckDBPyConnection) -> Any:
    """One filter set: the workflow and the entity with the most records."""
    from app.queries import Filters
    wf, ent = (con.execute(f"SELECT {c} FROM kpi_match_rate WHERE {c} IS NOT NULL "  # noqa: S608
                           f"GROUP BY 1 ORDER BY sum(records) DESC, 1 LIMIT 1").fetchone()[0]
               for c in ("workflow", "entity"))
    return Filters(workflow=(wf,), entity=(ent,))


def measure(home: str | Path, repeat: int = 3, app: bool = True) -> dict:
    """Everything: per page, query seconds (default and filtered) and script seconds."""
    from streamlit.logger import set_log_level

    from app import exception_panels, queries_close, report  # noqa: F401  (imports: not timed)
    from app.queries import Filters
    from jobs import workflow
    from jobs.published import open_current
    from jobs.settings import Settings

    set_log_level("error")  # not the bare-mode warnings of every cached call
    home = Path(home)
    with tempfile.TemporaryDirectory(prefix="recon-bench-pages-") as tmp:
        env = {"RECON_HOME": str(home), workflow.URL_ENV: f"sqlite:///{tmp}/workflow.sqlite",
               "RECON_LOCAL_USER": "bench", "RECON_LOCAL_ROLES": "controller,it,executive"}
        saved = {k: os.environ.get(k) for k in (*env, "RECON_CONFIG")}
        os.environ.update(env)
        os.environ.pop("RECON_CONFIG", None)
        try:
            settings = Settings.load(home=home)
            store = workflow.open_store(Path(tmp), env[workflow.URL_ENV])
            con = open_current(home)
            try:
                ids, filtered = identifiers(con), filter_set(con)
                rows = con.execute("SELECT count(*) FROM scope").fetchone()[0]
                exceptions_open = con.execute("SELECT count(*) FROM exception "
                                              "WHERE status = 'open'").fetchone()[0]
            finally:
                con.close()
            b = Bench(home, settings, Filters(), workflow.overlay(store), ids)
            queries_default, cpu, steps = measure_queries(b, repeat)
            queries_filtered, _, steps_filtered = measure_queries(
                replace(b, filters=filtered), repeat)
            script = measure_app(b, filtered) if app else {}
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return {"home": str(home), "rows": rows, "open_exceptions": exceptions_open,
            "identifiers": ids, "filters": {"workflow": filtered.workflow[0],
                                            "entity": filtered.entity[0]},
            "queries": queries_default, "queries_cpu": cpu, "queries_filtered": queries_filtered,
            "script": script, "steps": steps, "steps_filtered": steps_filtered}


def table(result: dict) -> str:
    script = result.get("script") or {}
    cold, warm, filt, click = (script.get(k, {}) for k in ("cold", "warm", "filtered", "click"))
    f = result["filters"]
    lines = [f"dashboard pages on {result['home']}: {result['rows']:,} records in scope, "
             f"{result['open_exceptions']:,} open exceptions; filter set workflow="
             f"{f['workflow']}, entity={f['entity']}; lineage searches "
             + ", ".join(f"{k.split('(')[1][:-1]} {v!r}" for k, v in result["identifiers"].items()),
             f"{'page':<28}{'queries s':>10}{'cpu s':>8}{'filtered':>10}{'script s':>10}"
             f"{'cpu s':>8}{'warm':>8}{'filter chg':>11}", ]

    def cell(d: dict, k: str, width: int) -> str:
        return f"{d[k]:>{width}.3f}" if k in d else f"{'—':>{width}}"

    for name in [*result["queries"]]:
        mark = " *" if max(result["queries"][name], cold.get(name, 0), click.get(name, 0),
                           filt.get(name, 0)) > BUDGET_S else ""
        scripted = cold if name in cold else click
        lines.append(f"{name:<28}{cell(result['queries'], name, 10)}"
                     f"{cell(result['queries_cpu'], name, 8)}"
                     f"{cell(result['queries_filtered'], name, 10)}{cell(scripted, name, 10)}"
                     f"{cell(script.get('cold_cpu', {}), name, 8)}"
                     f"{cell(warm, name, 8)}{cell(filt, name, 11)}{mark}")
    lines.append(f"(* over {BUDGET_S:g} s. queries: the page's query functions on a fresh "
                 "connection, median, with the default filters (wall and CPU seconds) and the "
                 "filter set; script: "
                 "AppTest at.run() with Streamlit's caches cleared (wall and CPU seconds); "
                 "warm: rerun with caches; "
                 "filter chg: after setting the filter set; downloads: the button's callable)")
    return "\n".join(lines)


def slowest_steps(result: dict, n: int = 12) -> str:
    flat = [(secs, page, step) for page, parts in result["steps"].items()
            for step, secs in parts.items()]
    return "slowest steps: " + "; ".join(f"{page}/{step} {secs:.3f}"
                                         for secs, page, step in sorted(flat, reverse=True)[:n])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_pages",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("home", help="a home with a published run")
    parser.add_argument("--repeat", type=int, default=3, help="query runs per page (median)")
    parser.add_argument("--no-app", action="store_true", help="skip the AppTest runs")
    args = parser.parse_args(argv)
    result = measure(args.home, args.repeat, app=not args.no_app)
    print(table(result))
    print(slowest_steps(result), flush=True)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    sys.exit(main())
