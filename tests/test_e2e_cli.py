"""End to end through the command line: simulate → run → evaluate → export, as a user would."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AS_OF = "2026-11-20"
RECORDS = 3000


def recon(*args: str, home: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RECON_HOME", None)
    cmd = [sys.executable, "-m", "jobs", *args] + (["--home", str(home)] if home else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"recon {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def reconciled(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    sources, home = root / "sim", root / "home"
    recon("simulate", "--out", str(sources), "--seed", "3", "--records", str(RECORDS),
          "--as-of", AS_OF)
    run = recon("run", "--sources", str(sources), "--as-of", AS_OF, home=home)
    return sources, home, run.stdout


def test_run_prints_a_summary(reconciled):
    _, _, stdout = reconciled
    for words in ("records in scope per source", "open exceptions by cause", "seconds per stage",
                  "published:"):
        assert words in stdout


def test_quality_bar_on_a_simulated_enterprise(reconciled):
    sources, home, _ = reconciled
    result = json.loads(recon("evaluate", "--truth", str(sources / "truth.csv"), "--json",
                              home=home).stdout)
    assert result["match_precision"] >= 0.999
    assert result["match_recall"] >= 0.98
    for cause, m in result["causes"].items():
        assert m["support"] > 0, f"{cause} not planted"
        assert m["precision"] >= 0.95 and m["recall"] >= 0.95, (cause, m)


def test_exports_have_spec_columns_and_are_reproducible(reconciled, tmp_path):
    sources, home, _ = reconciled
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    recon("export", "exceptions", "--format", "csv", "--out", str(first), home=home)
    rows = list(csv.DictReader(first.open(encoding="utf-8")))
    assert list(rows[0])[:4] == ["exception_id", "workflow", "cause", "sub_cause"]
    assert {r["source_system"] for r in rows} <= {"bank", "erp", "billing", "procurement"}
    # A second run over the same sources adds nothing and gives the same report.
    again = recon("run", "--sources", str(sources), "--as-of", AS_OF, home=home).stdout
    assert "0 new snapshots" in again
    recon("export", "exceptions", "--format", "csv", "--out", str(second), home=home)
    assert first.read_bytes() == second.read_bytes()
    xlsx = tmp_path / "m.xlsx"
    recon("export", "matches", "--format", "xlsx", "--out", str(xlsx), home=home)
    assert xlsx.stat().st_size > 1000


def cli(*args: str):
    """The CLI in-process (fast) for argument handling and help."""
    from typer.testing import CliRunner

    from jobs.cli import _register_commands, app

    _register_commands()
    return CliRunner().invoke(app, list(args))


def test_bad_arguments_exit_2_with_a_message(tmp_path):
    result = cli("run", "--sources", str(tmp_path / "nope"), "--home", str(tmp_path))
    assert result.exit_code == 2 and "is not a folder" in result.output
    result = cli("run", "--sources", str(tmp_path), "--as-of", "31/12/2026", "--home", str(tmp_path))
    assert result.exit_code == 2 and "not a date" in result.output
    assert cli("export", "everything", "--home", str(tmp_path)).exit_code == 2
    result = cli("evaluate", "--truth", str(tmp_path / "t.csv"), "--home", str(tmp_path))
    assert result.exit_code == 2 and "is not a file" in result.output
    result = cli("simulate", "--out", str(tmp_path), "--rate", "guess=0.1")
    assert result.exit_code == 2 and "expected NAME=RATE" in result.output


def test_every_command_has_help():
    for command in ("simulate", "run", "export", "evaluate", "inspect", "worker", "app", "demo",
                    "replay"):
        result = cli(command, "--help")
        assert result.exit_code == 0 and "Usage" in result.output, command


def test_sources_under_a_hidden_home_are_read(tmp_path):
    """The demo keeps its sources under .recon/: only hidden files *inside* them are skipped."""
    from jobs.snapshot import source_files

    root = tmp_path / ".recon" / "demo-sources"
    (root / "bank" / ".cache").mkdir(parents=True)
    (root / "bank" / "a.xml").write_text("x")
    (root / "bank" / ".swap").write_text("x")
    (root / "bank" / ".cache" / "b.xml").write_text("x")
    assert [p.name for p in source_files(root)] == ["a.xml"]


def test_no_record_with_a_critical_failure_is_matched(reconciled):
    """Validation issue: a record failing a critical expectation never reaches a match group,
    and it is a source_system_defect naming the expectation."""
    import duckdb

    from jobs.published import current_path

    _, home, _ = reconciled
    con = duckdb.connect(str(current_path(home)), read_only=True)
    failed = {r[0] for r in con.execute(
        "SELECT record_id FROM record_failure WHERE severity = 'critical'").fetchall()}
    matched = {r[0] for r in con.execute("SELECT record_id FROM match_member").fetchall()}
    details = dict(con.execute(
        "SELECT record_id, cause || ': ' || coalesce(detail, '') FROM exception "
        "WHERE status = 'open'").fetchall())
    con.close()
    assert failed, "the simulation plants defects"
    assert not failed & matched
    assert all(details[r].startswith("source_system_defect") for r in failed if r in details)


def test_a_ledger_line_without_its_gl_account_is_a_defect_not_a_crash(tmp_path):
    """An export line with an empty GL account is kept, validated and reported as a
    source_system_defect naming the expectation; the rest of the run goes on."""
    sources = tmp_path / "sim"
    recon("simulate", "--out", str(sources), "--seed", "1", "--records", "300", "--as-of", AS_OF)
    path = sources / "erp" / "line_items_DE01.csv"
    rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
    rows[4]["gl_account"] = ""
    broken = "/".join(rows[4][c] for c in ("company_code", "fiscal_year", "document_number",
                                            "line_item"))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    recon("run", "--sources", str(sources), "--as-of", AS_OF, home=tmp_path / "home")
    report = recon("export", "exceptions", "--cause", "source_system_defect",
                   home=tmp_path / "home").stdout
    defects = {r["source_ref"]: r["detail"] for r in csv.DictReader(report.splitlines())}
    assert "ledger_line: gl_account_present" in defects[broken]
    matches = recon("export", "matches", home=tmp_path / "home").stdout
    assert len(matches.splitlines()) > 100  # everything else still reconciled
