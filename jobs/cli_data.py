"""``recon run``, ``export``, ``evaluate`` and ``inspect``: the data commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from jobs.cli import (
    AsOfOpt,
    ConfigOpt,
    HomeOpt,
    app,
    console,
    fail,
    load_settings,
    out,
    parse_date,
    print_json,
    table,
)


@app.command()
def run(sources: Annotated[Path | None, typer.Option(help="source folder with bank/ erp/ billing/ "
                                                     "procurement/ reference/ (default: configured)")]
        = None,
        as_of: AsOfOpt = None, home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """One full cycle: ingest, validate, match, publish; then a summary."""
    from jobs.pipeline import run_cycle

    settings = load_settings(home, config)
    folder = sources or settings.sources
    if not folder.is_dir():
        fail(f"--sources: {folder} is not a folder")
    date = parse_date(as_of)
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[stage]:<8}[/] {task.description}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("starting", stage="run")
        summary = run_cycle(settings, folder, date,
                            progress=lambda stage, msg: bar.update(task, description=msg, stage=stage))
    _print_summary(summary)


def _print_summary(s) -> None:
    ing = s.ingest
    out.print(f"[bold]run {s.run_id}[/] as of {s.as_of}: {ing.files_seen} files, "
              f"{ing.snapshots} new snapshots, {ing.unchanged} unchanged, "
              f"{len(ing.quarantined)} quarantined")
    for _path, reason in ing.quarantined:
        out.print(f"  [yellow]quarantined[/] {reason}")
    out.print(table("records in scope per source", ["source", "records"],
                    [[k, v] for k, v in s.records_by_system.items()]))
    total = sum(s.records_by_system.values())
    rate = f"{s.matched_records / total:.1%}" if total else "n/a"
    out.print(f"matched: {s.matched_records} records in {s.match_groups} groups ({rate} of scope)")
    out.print(table("open exceptions by cause", ["cause", "count"],
                    [[k, v] for k, v in sorted(s.exceptions_by_cause.items())]))
    out.print(table("seconds per stage", ["stage", "seconds"],
                    [[k, f"{v:.2f}"] for k, v in s.seconds.items()]))
    out.print(f"published: {s.published}")


def _published(home: Path | None, config: Path | None):
    from jobs.published import open_current

    settings = load_settings(home, config)
    con = open_current(settings.home)
    if con is None:
        fail(f"nothing published under {settings.home} yet: run `recon run --sources DIR` first")
    return con


@app.command()
def export(what: Annotated[str, typer.Argument(help="exceptions | matches")],
           fmt: Annotated[str, typer.Option("--format", help="csv | xlsx")] = "csv",
           out_file: Annotated[Path, typer.Option("--out", help="file to write")] = Path("-"),
           workflow: Annotated[list[str] | None, typer.Option(help="filter (repeatable)")] = None,
           cause: Annotated[list[str] | None, typer.Option(help="filter (repeatable)")] = None,
           entity: Annotated[list[str] | None, typer.Option(help="filter (repeatable)")] = None,
           status: Annotated[list[str] | None, typer.Option(help="exception status filter "
                                                            "(default open)")] = None,
           home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Write the exception report or the matches report (SPEC §10)."""
    from jobs import export as ex

    if what not in {"exceptions", "matches"}:
        fail(f"export what? {what!r}: use exceptions or matches")
    if fmt not in {"csv", "xlsx"}:
        fail(f"--format: {fmt!r}: use csv or xlsx")
    if str(out_file) == "-" and fmt == "xlsx":
        fail("--out: an XLSX report needs a file name")
    from jobs import workflow as wf

    con = _published(home, config)
    settings = load_settings(home, config)
    filters = {k: v for k, v in {"workflow": workflow, "cause": cause, "entity": entity,
                                 "status": status}.items() if v}
    try:
        # the workflow store's assignments and manual resolutions, as on the dashboard
        overlay = wf.overlay(wf.open_store(settings.home))
        data = (ex.exceptions_table(con, filters, overlay=overlay) if what == "exceptions"
                else ex.matches_table(con, {k: v for k, v in filters.items() if k == "workflow"}))
    finally:
        con.close()
    if str(out_file) == "-":
        out_file = Path("/dev/stdout")
    n = ex.write(data, out_file, fmt, sheet=what)
    console.print(f"{n} {what} rows written to {out_file}")


@app.command()
def evaluate(truth: Annotated[Path, typer.Option(help="truth.csv of a simulation")],
             as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
             home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Precision and recall of the published run: matches, and each cause."""
    from jobs.evaluate import evaluate as score
    from jobs.evaluate import predicted_causes, predicted_groups, read_truth

    if not truth.is_file():
        fail(f"--truth: {truth} is not a file")
    try:
        expected = read_truth(truth)
    except (ValueError, KeyError) as err:
        fail(str(err))
    con = _published(home, config)
    try:
        result = score(expected, predicted_groups(con), predicted_causes(con))
    finally:
        con.close()
    if as_json:
        print_json(result)
        return
    out.print(f"match precision {result['match_precision']:.4f}   recall {result['match_recall']:.4f}"
              f"   ({result['matched_records']} matched, {result['should_match_records']} should)")
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    out.print(table("causes", ["cause", "precision", "recall", "support", "predicted"],
                    [[c, fmt(m["precision"]), fmt(m["recall"]), m["support"], m["predicted"]]
                     for c, m in result["causes"].items()]))
    if result["sub_cause_accuracy"] is not None:
        out.print(f"amount_variance sub-cause accuracy {result['sub_cause_accuracy']:.4f}")


@app.command()
def inspect(file: Annotated[Path, typer.Argument(help="a source file of any supported format")],
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Detect a file's format and parse it: records and total, or a clear rejection (exit 2)."""
    from jobs.inspect_file import inspect_file

    if not file.is_file():
        fail(f"{file}: not a file")
    report = inspect_file(file)
    if as_json:
        print_json(report)
    elif report["ok"]:
        # file content is printed through escape(): a statement may contain rich markup
        out.print(escape(f"{file}: {report['format']} ({report['connector']}), "
                         f"{report['records']} records, total {report['total_amount']}"))
        for k, v in report.get("control", {}).items():
            if k != "problems":
                out.print(escape(f"  {k}: {v}"))
        for warning in report.get("warnings", []):
            out.print(f"[yellow]warning:[/] {escape(str(warning))}")
    if not report["ok"]:
        fail(f"rejected: {escape(report['error'])}")


@app.command()
def replay(snapshot: Annotated[str, typer.Option("--snapshot", help="snapshot id (see the Jobs "
                                                 "page or the snapshot table)")],
           home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Rerun matching for a past snapshot and compare with the run that first read it."""
    from jobs.replay import ReplayError
    from jobs.replay import replay as run_replay

    settings = load_settings(home, config)
    try:
        result = run_replay(settings, snapshot)
    except ReplayError as err:
        fail(str(err))
    where = f"published beside the current run: {result.published}"
    if not result.compared:
        out.print(f"replayed {snapshot} as of {result.as_of} (original run {result.original_run} "
                  f"no longer kept, nothing to compare); {where}")
    elif result.identical:
        out.print(f"replayed {snapshot} as of {result.as_of}: identical to run "
                  f"{result.original_run}; {where}")
    else:
        out.print(f"[red]replay of {snapshot} differs from run {result.original_run}:[/] "
                  + "; ".join(result.differences))
        raise typer.Exit(1)
