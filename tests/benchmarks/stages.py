"""Benchmark stages, each run in its own process so its peak memory is its own.

``python -m tests.benchmarks.stages STAGE ARGS...`` prints one JSON object:
``{"seconds": ..., "rows": ..., "peak_rss_mib": ..., ...}``.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

AS_OF = dt.date(2026, 11, 20)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def simulate(out: str, records: str) -> dict:
    from jobs.simulate import simulate as run

    summary = run(Path(out), seed=1, records=int(records), as_of=AS_OF)
    return {"rows": sum(summary.systems.values())}


FORMATS = {"camt.053": ("bank", ".xml"), "mt940": ("bank", ".sta"), "erp_csv": ("erp", ".csv"),
           "stripe_json": ("billing", ".json"), "procurement_json": ("procurement", ".json")}


def parse(sources: str, fmt: str) -> dict:
    """One core, one format: connector read of every file of that format (no database)."""
    from connectors.registry import default_connectors, detect

    folder, suffix = FORMATS[fmt]
    connectors = default_connectors()
    rows = 0
    for path in sorted((Path(sources) / folder).glob(f"*{suffix}")):
        batch = detect(path, connectors).read(path)
        rows += batch.record_count()
    return {"rows": rows}


def cycle(sources: str, home: str) -> dict:
    """The whole `recon run` on a fresh home: ingest, validate, match, persist, publish."""
    from jobs.pipeline import run_cycle
    from jobs.settings import Settings

    summary = run_cycle(Settings.load(home=Path(home)), Path(sources), AS_OF)
    return {"rows": sum(summary.ingest.rows.values()), "stages": summary.seconds,
            "matched": summary.matched_records}


def match(home: str) -> dict:
    """Matching alone on the warehouse a cycle left, with seconds per rule."""
    from jobs import warehouse
    from jobs.matching.run import match as run_match
    from jobs.settings import Settings

    con = warehouse.connect(Path(home))
    started = time.perf_counter()
    report = run_match(con, Settings.load(home=Path(home)), AS_OF)
    seconds = time.perf_counter() - started
    by_part: Counter = Counter()
    for step, secs in report.seconds_by_step.items():
        by_part[_part(step)] += secs
    bank, ledger = con.execute("SELECT (SELECT count(*) FROM recon__bank), "
                               "(SELECT count(*) FROM recon__erp)").fetchone()
    return {"rows": bank + ledger, "seconds_inner": seconds, "bank_lines": bank,
            "ledger_lines": ledger, "by_part": dict(by_part)}


_PARTS = {"payout": "billing_to_ledger", "charge": "billing_to_ledger", "recon__p_charge":
          "billing_to_ledger", "three-way": "procure_to_pay", "chain": "procure_to_pay",
          "intercompany": "intercompany", "recon__p_ic": "intercompany", "fx": "intercompany"}


def _part(step: str) -> str:
    for key, part in _PARTS.items():
        if key in step:
            return part
    if step in {"records", "scope", "groups", "exceptions"}:
        return "results"
    if step.startswith("normalise"):
        return "normalise"
    if any(k in step for k in ("exact", "text", "batch", "fuzzy", "grams", "unmapped")):
        return "bank_to_ledger"
    return "prepare"


def floor(home: str) -> dict:
    """The floor: a plain DuckDB equi-join of bank and ledger on the reference."""
    import duckdb

    con = duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True)
    con.execute("CREATE TEMP TABLE b AS SELECT record_id, end_to_end_id AS ref, amount "
                "FROM bank_transaction WHERE end_to_end_id IS NOT NULL")
    con.execute("CREATE TEMP TABLE l AS SELECT record_id, reference AS ref, amount "
                "FROM ledger_line WHERE reference IS NOT NULL")
    started = time.perf_counter()
    n = con.execute("CREATE TEMP TABLE j AS SELECT b.record_id AS b, l.record_id AS l "
                    "FROM b JOIN l ON l.ref = b.ref AND l.amount = b.amount").fetchone()
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM j").fetchone()[0]
    return {"rows": rows, "seconds_inner": seconds, "n": n}


def pandas_merge(home: str) -> dict:
    """Baseline: the same exact-reference rule as a pandas merge."""
    import duckdb

    con = duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True)
    b = con.execute("SELECT record_id, end_to_end_id AS ref, amount FROM bank_transaction "
                    "WHERE end_to_end_id IS NOT NULL").df()
    ledger = con.execute("SELECT record_id, reference AS ref, amount FROM ledger_line "
                         "WHERE reference IS NOT NULL").df()
    started = time.perf_counter()
    joined = b.merge(ledger, on=["ref", "amount"])
    return {"rows": len(joined), "seconds_inner": time.perf_counter() - started}


def dashboard(home: str) -> dict:
    """Every dashboard page's server-side work on the published run (``bench_pages``): the
    query functions of each page on a fresh connection (``<page>``), the whole page script
    through AppTest with Streamlit's caches cleared (``<page> app``), and the downloads made
    on click. ``seconds`` is the sum of the pages' queries (downloads apart)."""
    from tests.benchmarks import bench_pages

    result = bench_pages.measure(home, repeat=3)
    script = result["script"]
    timings = {**result["queries"], **{f"{page} app": secs for page, secs in
                                       {**script["cold"], **script["click"]}.items()}}
    renders = [name for name in result["queries"] if name not in bench_pages.CLICKS]
    return {"rows": result["rows"], "queries": timings,
            "seconds_inner": sum(result["queries"][name] for name in renders),
            "slowest_page_s": max(max(result["queries"][n] for n in renders),
                                  max(script["cold"].values()))}


def incremental(sources: str, delta: str, home: str) -> dict:
    """The next ``recon run`` on the cycle's home once the delta files arrived
    (``incremental.py``); rows are the new lines."""
    from tests.benchmarks.incremental import arrive

    new_lines = arrive(Path(sources), Path(delta))
    return {**cycle(sources, home), "rows": new_lines}


STAGES = {"incremental": incremental, "simulate": simulate, "parse": parse, "cycle": cycle, "match": match, "floor": floor,
          "pandas_merge": pandas_merge, "dashboard": dashboard}


def main() -> None:
    stage, args = sys.argv[1], sys.argv[2:]
    started = time.perf_counter()
    result = STAGES[stage](*args)
    result.setdefault("seconds", time.perf_counter() - started)
    result["seconds"] = result.pop("seconds_inner", result["seconds"])
    result["wall_seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = round(_rss_mib(), 1)
    # CPU time (this process and its workers): steadier than wall time on a shared machine.
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_seconds"] = round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 2)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
