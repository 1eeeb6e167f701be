"""``recon worker``, ``app`` and ``demo``: the long-running processes."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from jobs.cli import ConfigOpt, HomeOpt, app, console, fail, load_settings, out

APP_FILE = Path(__file__).resolve().parent.parent / "app" / "streamlit_app.py"
SECRETS = Path(".streamlit") / "secrets.toml"


@app.command()
def worker(sources: Annotated[Path | None, typer.Option(help="source folder (default: configured)")]
           = None, home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Run the scheduler: each source's trigger starts ingest → match → publish."""
    from jobs.schedule import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings(home, config)
    folder = sources or settings.sources
    if not folder.is_dir():
        fail(f"--sources: {folder} is not a folder")
    console.print(f"worker: home {settings.home}, sources {folder}; Ctrl-C or SIGTERM to stop")
    run_worker(settings, folder, config)


def login_configured() -> bool:
    """True when Streamlit's OIDC login ([auth] in secrets.toml) is configured."""
    import tomllib

    for path in (SECRETS, Path.home() / ".streamlit" / "secrets.toml"):
        if path.is_file():
            try:
                if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                    return True
            except tomllib.TOMLDecodeError:
                fail(f"{path}: not valid TOML")
    return False


def check_address(host: str) -> None:
    """Refuse a non-loopback address while no login is configured (SPEC §12)."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        fail(f"app.host: {host!r} is not an IP address or localhost")
    if not loopback and not login_configured():
        fail(f"refusing to listen on {host}: no login is configured. Configure [auth] in "
             ".streamlit/secrets.toml (Streamlit OIDC) or listen on 127.0.0.1")


def app_command(settings, port: int | None, config: Path | None) -> list[str]:
    host = settings.app.host
    check_address(host)
    return [sys.executable, "-m", "streamlit", "run", str(APP_FILE),
            "--server.address", host, "--server.port", str(port or settings.app.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def _env(settings, config: Path | None) -> dict[str, str]:
    env = dict(os.environ, RECON_HOME=str(settings.home.resolve()))
    if config:
        env["RECON_CONFIG"] = str(config.resolve())
    return env


@app.command(name="app")
def app_(port: Annotated[int | None, typer.Option(help="port (default from configuration)")] = None,
         home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Serve the dashboard for this home folder."""
    settings = load_settings(home, config)
    cmd = app_command(settings, port, config)
    console.print(f"dashboard: http://{settings.app.host}:{port or settings.app.port}/")
    raise typer.Exit(subprocess.call(cmd, env=_env(settings, config)))


@app.command()
def demo(records: Annotated[int, typer.Option(help="size of the simulated enterprise")] = 5000,
         seed: Annotated[int, typer.Option()] = 42,
         port: Annotated[int | None, typer.Option()] = None,
         home: HomeOpt = None, config: ConfigOpt = None) -> None:
    """Simulate an enterprise, reconcile it, then run the scheduler and the dashboard."""
    from jobs.pipeline import run_cycle
    from jobs.simulate import simulate as run_simulation

    settings = load_settings(home, config)
    sources = settings.home / "demo-sources"
    today = dt.datetime.now(dt.UTC).date()
    if not (sources / "truth.csv").exists():
        shutil.rmtree(sources, ignore_errors=True)  # an interrupted earlier simulation
        console.print(f"simulating {records} records into {sources} ...")
        run_simulation(sources, seed=seed, records=records, as_of=today)
    console.print("reconciling ...")
    summary = run_cycle(settings, sources, today, trigger="demo")
    out.print(f"run {summary.run_id}: {summary.matched_records} records matched, "
              f"{sum(summary.exceptions_by_cause.values())} open exceptions")
    cmd = app_command(settings, port, config)
    env = _env(settings, config)
    worker_cmd = [sys.executable, "-m", "jobs", "worker", "--sources", str(sources)]
    if home:
        worker_cmd += ["--home", str(home)]
    procs = [subprocess.Popen(worker_cmd, env=env), subprocess.Popen(cmd, env=env)]
    url = f"http://{settings.app.host}:{port or settings.app.port}/"
    out.print(f"[bold green]recon demo is running:[/] dashboard at {url}  (Ctrl-C to stop)")
    _wait(procs)


def _wait(procs: list[subprocess.Popen]) -> None:
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    failed = [p.args for p in procs if p.returncode not in (0, None, -signal.SIGTERM, 143)]
    if failed:
        fail(f"a demo process stopped unexpectedly: {failed[0]}", code=1)
