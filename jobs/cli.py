"""The ``recon`` command line (SPEC §11): thin commands over the pipeline modules.

Exit codes: 0 success, 1 a run failed, 2 bad input or configuration (with a message that says
what is wrong and where).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jobs.settings import ConfigError, Settings

app = typer.Typer(help="recon: reconciliation observability for finance teams.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
# Wide enough for the summary tables when output goes to a file or a pipe.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)
out = Console(width=None if sys.stdout.isatty() else 120)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="data folder (default ./.recon or "
                                               "$RECON_HOME)", show_default=False)]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="configuration file (default "
                                                 "./recon.toml or $RECON_CONFIG)", show_default=False)]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="'today' for settlement windows and "
                                              "aging, YYYY-MM-DD (default: today, UTC)",
                                              show_default=False)]


def fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def load_settings(home: Path | None, config: Path | None) -> Settings:
    try:
        return Settings.load(config=config, home=home)
    except ConfigError as err:
        fail(str(err))
        raise  # unreachable; keeps type checkers calm


def parse_date(value: str | None, name: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{name}: {value!r} is not a date (YYYY-MM-DD)")
        raise


def _register_commands() -> None:
    from jobs import cli_data, cli_ops, cli_sim  # noqa: F401  (commands register themselves)


def main() -> None:
    _register_commands()
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)


def print_json(data: dict) -> None:
    out.print_json(json.dumps(data, default=str))


def table(title: str, columns: list[str], rows: list[list]) -> Table:
    t = Table(title=title, title_justify="left", min_width=len(title) + 4)
    for c in columns:
        t.add_column(c, justify="right" if c in {"records", "count", "seconds", "rows"} else "left")
    for r in rows:
        t.add_row(*[str(x) for x in r])
    return t
