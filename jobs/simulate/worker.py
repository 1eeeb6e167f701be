"""Runs one partition's day loop; partitions run in parallel processes when it pays off.

The day loop is the only place that orders the workflows: every generator adds the day's
events (bank lines may be dated later), then payouts, then each account writes every statement
whose day has passed. Nothing else is ever held across days.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import traceback
from collections.abc import Callable
from pathlib import Path

from jobs.simulate.context import Ctx
from jobs.simulate.enterprise import Enterprise
from jobs.simulate.plan import PlantRates
from jobs.simulate.scenarios_bank_exceptions import BankDay
from jobs.simulate.scenarios_billing import BillingDay
from jobs.simulate.scenarios_ic import IcStream
from jobs.simulate.scenarios_p2p import ProcurementDay

PARALLEL_FROM = 40_000   # records; below this, process start-up costs more than it saves


def run_partition(ent: Enterprise, codes: tuple[str, ...], out: Path, rates: PlantRates,
                  settlement_days: dict[str, int],
                  tick: Callable[[str, int], None] | None = None) -> dict:
    ctx = Ctx(ent, codes, out, rates, settlement_days)
    bank, billing, supply = BankDay(ctx), BillingDay(ctx), ProcurementDay(ctx)
    ic = IcStream(ent, rates, settlement_days)
    writers = [info.writer for info in ctx.accounts.values()]
    label = "+".join(codes)
    for i, day in enumerate(ent.days):
        bank.run(ctx, i, day)
        billing.run(ctx, i, day)
        supply.run(ctx, i, day)
        ic.run(ctx, i, day)
        billing.payouts(ctx, day)
        for w in writers:
            w.flush_through(day)
        if tick and i % 10 == 9:
            tick(label, i + 1)
    billing.close(ctx)
    ctx.close()
    t = ctx.truth
    return {"files": ctx.files(), "systems": dict(t.systems), "causes": dict(t.causes),
            "kinds": dict(t.kinds), "truth": str(t.path)}


def _child(queue, args) -> None:
    try:
        result = run_partition(*args, tick=lambda what, n: queue.put(("tick", what, n)))
        queue.put(("done", result))
    except BaseException:   # by choice: the parent re-raises it with the child's traceback
        queue.put(("error", traceback.format_exc()))


def run_all(ent: Enterprise, partitions: list[tuple[str, ...]], out: Path, rates: PlantRates,
            settlement_days: dict[str, int], progress: Callable[[str, int], None] | None,
            parallel: bool) -> list[dict]:
    """Every partition, in child processes when ``parallel``; results in partition order."""
    if not parallel:
        return [run_partition(ent, codes, out, rates, settlement_days, progress)
                for codes in partitions]
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    queues = [ctx.Queue() for _ in partitions]
    procs = [ctx.Process(target=_child, args=(q, (ent, codes, out, rates, settlement_days)))
             for q, codes in zip(queues, partitions, strict=True)]
    for p in procs:
        p.start()
    results: list[dict] = []
    try:
        for q, proc in zip(queues, procs, strict=True):
            while True:
                try:
                    msg = q.get(timeout=1)
                except queue_mod.Empty:
                    if proc.is_alive():
                        continue
                    raise RuntimeError(
                        f"simulation partition died (exit code {proc.exitcode})") from None
                if msg[0] == "tick":
                    if progress:
                        progress(msg[1], msg[2])
                    continue
                if msg[0] == "error":
                    raise RuntimeError(f"simulation partition failed:\n{msg[1]}")
                results.append(msg[1])
                break
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
    return results
