"""The incremental cycle: new ERP lines arriving against a history already reconciled.

``split`` moves the last journal documents of each simulated ERP export into delta files of
their own, so the benchmark's first cycle reconciles the history without them;
``arrive`` then drops the delta files into the landing folder, as the next export would, and
the benchmark's ``incremental`` stage times the next ``recon run``. Whole journal documents move together, so no document is cut in
two (which would make both halves unbalanced, a source defect).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

NEW_LINES = 50_000
SHARE_MAX = 0.05  # of the ERP lines, so a small benchmark keeps most of its history


def split(sources: Path, delta: Path, new_lines: int = NEW_LINES) -> int:
    """Move about ``new_lines`` ERP lines (the last documents of each export) out of
    ``sources`` into ``delta``; returns how many moved."""
    files = sorted((sources / "erp").glob("*.csv"))
    sizes = {f: _count_lines(f) for f in files}
    total = sum(sizes.values())
    wanted = min(new_lines, int(total * SHARE_MAX))
    delta.mkdir(parents=True, exist_ok=True)
    moved = 0
    for f in files:
        share = round(wanted * sizes[f] / total) if total else 0
        moved += _move_tail(f, delta / f"{f.stem}_new.csv", sizes[f] - share)
    return moved


def arrive(sources: Path, delta: Path) -> int:
    """Drop the delta files into the ERP landing folder; returns how many lines arrived."""
    files = sorted(delta.glob("*.csv"))
    for f in files:
        shutil.copy2(f, sources / "erp" / f.name)
    return sum(_count_lines(f) for f in files)


def _count_lines(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _move_tail(path: Path, out: Path, keep: int) -> int:
    """Keep the first ``keep`` lines (extended to the end of their document) in ``path``."""
    kept_path = path.with_suffix(".keep")
    moved = 0
    with path.open(newline="", encoding="utf-8") as fh, \
            kept_path.open("w", newline="", encoding="utf-8") as kept, \
            out.open("w", newline="", encoding="utf-8") as new:
        reader = csv.reader(fh)
        header = next(reader)
        doc = [header.index(c) for c in ("company_code", "fiscal_year", "document_number")]
        keep_w, new_w = csv.writer(kept, lineterminator="\n"), csv.writer(new, lineterminator="\n")
        keep_w.writerow(header)
        new_w.writerow(header)
        last_doc = None
        for i, row in enumerate(reader):
            this_doc = tuple(row[j] for j in doc)
            if i < keep or this_doc == last_doc and not moved:
                keep_w.writerow(row)
                last_doc = this_doc
            else:
                new_w.writerow(row)
                moved += 1
    kept_path.replace(path)
    return moved

