"""``recon simulate``: write a simulated enterprise's source folder and its truth."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from jobs.cli import AsOfOpt, app, console, fail, out, parse_date, table


def parse_rates(pairs: list[str] | None):
    """``--rate name=0.02`` pairs → PlantRates, naming the valid keys on a mistake."""
    from jobs.simulate import PlantRates

    base = PlantRates()
    names = sorted(f.name for f in dataclasses.fields(base))
    values = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or name not in names:
            fail(f"--rate {pair!r}: expected NAME=RATE with NAME one of: {', '.join(names)}")
        try:
            values[name] = float(value)
        except ValueError:
            fail(f"--rate {pair!r}: {value!r} is not a number")
    try:
        return dataclasses.replace(base, **values)
    except ValueError as err:
        fail(f"--rate: {err}")


@app.command()
def simulate(out_dir: Annotated[Path, typer.Option("--out", help="folder to write (created)")],
             seed: Annotated[int, typer.Option(help="random seed: same seed, same files")] = 1,
             records: Annotated[int, typer.Option(help="ledger-side records (ERP lines in scope); "
                                                  "other systems scale with it", min=50)] = 20_000,
             as_of: AsOfOpt = None,
             rate: Annotated[list[str] | None, typer.Option(help="plant rate NAME=RATE "
                                                            "(repeatable)")] = None) -> None:
    """Simulate a multi-entity company: bank, ERP, Stripe, procurement, reference, truth.csv."""
    from jobs.simulate import simulate as run_simulation

    date = parse_date(as_of) or dt.datetime.now(dt.UTC).date()
    if out_dir.exists() and any(out_dir.iterdir()):
        fail(f"--out: {out_dir} exists and is not empty; choose a new folder")
    rates = parse_rates(rate)
    summary = run_simulation(out_dir, seed=seed, records=records, as_of=date, rates=rates,
                             progress=lambda what, n: console.log(f"{what}: {n}"))
    rows = [[k, v] for k, v in sorted(_counts(summary).items())]
    out.print(table(f"simulated enterprise in {out_dir} (seed {seed}, as of {date})",
                    ["what", "records"], rows))


def _counts(summary) -> dict:
    data = dataclasses.asdict(summary) if dataclasses.is_dataclass(summary) else dict(summary)
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat
