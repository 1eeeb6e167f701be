"""``make bench``: every stage timed on simulated enterprises, against the floor.

Sizes come from ``BENCH_SIZES`` (comma-separated ledger-side record counts; default 100000 and
1000000). Each stage runs in its own process (see ``stages.py``) so its peak memory is its own.
The full cycle reconciles the history without the last ERP documents; the incremental cycle
then times the next run when they arrive (``incremental.py``: up to 50,000 lines). Prints a
table, then one JSON line to track: sizes, stages, floor_s, match_ratio_to_floor, cycle_s,
incremental_cycle_s, peak_rss_mib (of the largest size).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.benchmarks.incremental import split
from tests.benchmarks.stages import FORMATS

PANDAS_MAX = 1_000_000


def stage(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "tests.benchmarks.stages", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        # The error itself first: a native stack trace after it can fill the tail.
        errors = [line for line in proc.stderr.splitlines()
                  if re.match(r"\w+(\.\w+)*(Error|Exception)\b", line.strip())]
        raise SystemExit(f"stage {args[0]} failed: {' | '.join(errors[-3:]) or '(no message)'}"
                         f"\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_size(n: int, work: Path) -> dict:
    sources, home = work / f"sources-{n}", work / f"home-{n}"
    shutil.rmtree(sources, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    results = {"simulate": stage("simulate", str(sources), str(n))}
    for fmt in FORMATS:
        results[f"parse {fmt}"] = stage("parse", str(sources), fmt)
    # The history: everything but the last ERP documents, which then arrive as new files.
    delta = work / f"delta-{n}"
    shutil.rmtree(delta, ignore_errors=True)
    split(sources, delta)
    results["cycle"] = stage("cycle", str(sources), str(home))
    results["incremental cycle"] = stage("incremental", str(sources), str(delta), str(home))
    results["match"] = stage("match", str(home))
    results["floor"] = stage("floor", str(home))
    if n <= PANDAS_MAX:
        results["pandas merge (exact ref)"] = stage("pandas_merge", str(home))
    results["dashboard queries"] = stage("dashboard", str(home))
    shutil.rmtree(sources, ignore_errors=True)
    shutil.rmtree(delta, ignore_errors=True)
    return results


def table(n: int, results: dict) -> str:
    lines = [f"\n== {n:,} ledger-side records ==",
             f"{'stage':<34}{'seconds':>10}{'cpu s':>10}{'rows':>12}{'rows/s':>12}{'peak MiB':>10}"]
    for name, r in results.items():
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        lines.append(f"{name:<34}{r['seconds']:>10.2f}{r['cpu_seconds']:>10.2f}{r['rows']:>12,}"
                     f"{rate:>12,.0f}{r['peak_rss_mib']:>10,.0f}")
        for sub, secs in {**r.get("stages", {}), **r.get("by_part", {}),
                          **r.get("queries", {})}.items():
            lines.append(f"  {sub:<32}{secs:>10.2f}")
    match, floor = results["match"]["seconds"], results["floor"]["seconds"]
    lines.append(f"matching / floor: {match:.2f} s / {floor:.3f} s = {match / floor:.1f}x")
    return "\n".join(lines)


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "100000,1000000").split(",")]
    work = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="recon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"recon benchmarks: sizes {sizes}, {os.cpu_count()} cores, load average {load:.1f} "
          f"at start, work dir {work}", flush=True)
    everything = {}
    for n in sizes:
        everything[n] = run_size(n, work)
        print(table(n, everything[n]), flush=True)
    largest = everything[max(sizes)]
    summary = {
        "sizes": {str(n): {k: round(v["seconds"], 3) for k, v in r.items()}
                  for n, r in everything.items()},
        "stages": {k: round(v, 3) for k, v in largest["cycle"].get("stages", {}).items()},
        "floor_s": round(largest["floor"]["seconds"], 4),
        "match_ratio_to_floor": round(largest["match"]["seconds"] / largest["floor"]["seconds"], 1),
        "cycle_s": round(largest["cycle"]["seconds"], 2),
        "incremental_cycle_s": round(largest["incremental cycle"]["seconds"], 2),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in largest.values()),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
