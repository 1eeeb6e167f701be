"""``recon simulate``: a multi-entity company's source folder with known discrepancies (SPEC §3).

Writes ``bank/`` (camt.053 .08/.02, MT940), ``erp/`` (line-item CSV), ``billing/`` (Stripe lists),
``procurement/`` (Coupa JSON), ``reference/`` (master data) and ``truth.csv`` (what each in-scope
record should become). Deterministic per seed, streaming, never reads the clock for data.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from jobs.simulate.enterprise import PARTITIONS, build
from jobs.simulate.plan import PlantRates
from jobs.simulate.truth import SimulationSummary, merge
from jobs.simulate.worker import PARALLEL_FROM, run_all
from jobs.simulate.writers.reference import write_reference

__all__ = ["PlantRates", "SimulationSummary", "simulate"]
SYSTEM_FOLDERS = ("bank", "erp", "billing", "procurement", "reference")


def simulate(out: Path, seed: int, records: int, as_of: dt.date, rates: PlantRates | None = None,
             settlement_days: dict[str, int] | None = None,
             progress: Callable[[str, int], None] | None = None,
             parallel: bool | None = None) -> SimulationSummary:
    """Write a simulated enterprise into ``out`` and return what was written.

    Args:
        out: folder to create or fill; one sub-folder per system plus ``truth.csv``. Raises
            FileExistsError when it already holds simulated data.
        seed: same seed, same bytes in every file.
        records: about how many ERP line items are in scope; bank lines are about as many,
            Stripe, procurement and intercompany scale with it.
        as_of: the last day of the ~90 days of activity; nothing is dated after it except
            planted impossible dates.
        rates: plant rates per cause and kind (default ``PlantRates()``).
        settlement_days: per workflow, the window separating timing_difference from
            missing_counterpart (default: the configuration's defaults).
        progress: called with (what, count) as the work advances.
        parallel: run partitions in two processes; default when ``records`` is large.
    """
    started = time.perf_counter()
    rates = rates or PlantRates()
    windows = settlement_days or _default_windows()
    out = Path(out)
    leftovers = [p for p in (*(out / f for f in SYSTEM_FOLDERS), out / "truth.csv")
                 if p.is_file() or (p.is_dir() and any(p.iterdir()))]
    if leftovers:   # by choice: stale files of an earlier run would silently corrupt this one
        raise FileExistsError(f"{out} already holds simulated data ({leftovers[0].name}); "
                              "simulate into a new or empty folder")
    for folder in SYSTEM_FOLDERS:
        (out / folder).mkdir(parents=True, exist_ok=True)
    ent = build(seed, records, as_of)
    files = write_reference(out / "reference", ent)
    if progress:
        progress("reference", sum(files.values()))
    if parallel is None:
        parallel = records >= PARALLEL_FROM
    results = run_all(ent, list(PARTITIONS), out, rates, windows, progress, parallel)
    merge([Path(r["truth"]) for r in results], out / "truth.csv")
    summary = SimulationSummary(str(out), seed, records, as_of.isoformat())
    totals: dict[str, Counter] = {k: Counter() for k in ("systems", "causes", "kinds")}
    for r in results:
        files.update(r["files"])
        for k, counter in totals.items():
            counter.update(r[k])
    summary.files = dict(sorted(files.items()))
    summary.systems, summary.causes, summary.kinds = (dict(sorted(totals[k].items()))
                                                      for k in ("systems", "causes", "kinds"))
    summary.elapsed_seconds = round(time.perf_counter() - started, 2)
    if progress:
        progress("truth", sum(summary.systems.values()))
    return summary


def _default_windows() -> dict[str, int]:
    from jobs.settings import Settings

    return dict(Settings().settlement_days)
