"""Run an unseen enterprise through recon's command line as a client would, and score it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tests.unseen.score import public, report, score

Generator = Callable[[Path, int, int, date], None]


def recon(*args: str, home: Path) -> str:
    env = dict(os.environ)
    env.pop("RECON_HOME", None)
    proc = subprocess.run([sys.executable, "-m", "jobs", *args, "--home", str(home)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"recon {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout


def run_and_score(generate: Generator, root: Path, seed: int, n: int, as_of: str) -> tuple[str, dict]:
    """Generate, ``recon run``, export matches and exceptions, score: (run summary, scores)."""
    sources, home = root / "enterprise", root / "home"
    generate(sources, seed, n, date.fromisoformat(as_of))
    summary = recon("run", "--sources", str(sources), "--as-of", as_of, home=home)
    matches, exceptions = root / "matches.csv", root / "exceptions.csv"
    recon("export", "matches", "--format", "csv", "--out", str(matches), home=home)
    recon("export", "exceptions", "--format", "csv", "--out", str(exceptions), home=home)
    return summary, score(sources / "truth.csv", matches, exceptions)


def assert_match_bar(result: dict) -> None:
    """SPEC quality bar for matches: precision >= 0.999, recall >= 0.98."""
    detail = report(result, examples=2)
    assert result["match_precision"] >= 0.999, detail
    assert result["match_recall"] >= 0.98, detail


def assert_cause_bar(result: dict) -> None:
    """SPEC quality bar per cause (those with 10+ truth records): precision and recall >= 0.95."""
    weak = {c: m for c, m in public(result)["causes"].items()
            if m["support"] >= 10 and (m["precision"] < 0.95 or m["recall"] < 0.95)}
    assert not weak, f"causes below the bar: {weak}\n\n{report(result, examples=2)}"


def main(generate: Generator, description: str, as_of: date) -> None:
    """A generator's command line: ``--out DIR [--seed S] [--n N] [--as-of YYYY-MM-DD]``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--as-of", type=date.fromisoformat, default=as_of)
    a = ap.parse_args()
    generate(a.out, a.seed, a.n, a.as_of)
    print(f"wrote {a.out}")
