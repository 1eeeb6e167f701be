"""truth.csv: for every in-scope record, the match group it belongs to or the cause it deserves.

Each partition writes its own part; ``merge`` concatenates them under one header. The cause of
a record left without counterpart depends only on its own event date and the workflow's
settlement window (SPEC §5.3), computed here in one place.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from connectors.canonical import Cause

HEADER = "source_system,source_ref,workflow,expected,match_key,match_kind,cause,sub_cause\n"
TIMING, MISSING = Cause.TIMING_DIFFERENCE.value, Cause.MISSING_COUNTERPART.value


@dataclass
class SimulationSummary:
    """What one simulation wrote: records per file, per system, per cause and per match kind."""

    out: str
    seed: int
    records: int
    as_of: str
    files: dict[str, int] = field(default_factory=dict)
    systems: dict[str, int] = field(default_factory=dict)
    causes: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0


class TruthWriter:
    """Appends truth rows to one part file and counts them."""

    def __init__(self, path: Path, as_of: dt.date, settlement_days: dict[str, int]):
        self.path = path
        self._fh = path.open("w", encoding="utf-8", newline="", buffering=1 << 20)
        self._w = self._fh.write
        self.as_of = as_of
        self.window = settlement_days
        self.systems: Counter = Counter()
        self.causes: Counter = Counter()
        self.kinds: Counter = Counter()

    def match(self, system: str, ref: str, workflow: str, key: str, kind: str) -> None:
        self._w(f"{system},{ref},{workflow},match,{key},{kind},,\n")
        self.systems[system] += 1
        self.kinds[kind] += 1

    def pair(self, sys_a: str, ref_a: str, sys_b: str, ref_b: str, workflow: str, key: str,
             kind: str) -> None:
        """Two records of one true group, in one write (the most common case by far)."""
        self._w(f"{sys_a},{ref_a},{workflow},match,{key},{kind},,\n"
                f"{sys_b},{ref_b},{workflow},match,{key},{kind},,\n")
        self.systems[sys_a] += 1
        self.systems[sys_b] += 1
        self.kinds[kind] += 2

    def exception(self, system: str, ref: str, workflow: str, cause: str, key: str = "",
                  sub: str = "") -> None:
        self._w(f"{system},{ref},{workflow},exception,{key},,{cause},{sub}\n")
        self.systems[system] += 1
        self.causes[cause] += 1

    def alone(self, system: str, ref: str, workflow: str, event_date: dt.date,
              key: str = "") -> None:
        """A record without counterpart: timing_difference inside the window, else missing."""
        self.exception(system, ref, workflow, self.age_cause(workflow, event_date), key)

    def age_cause(self, workflow: str, event_date: dt.date) -> str:
        return TIMING if (self.as_of - event_date).days <= self.window[workflow] else MISSING

    def close(self) -> None:
        self._fh.close()


def merge(parts: list[Path], target: Path) -> None:
    """Concatenate the partition parts under the header, then remove them."""
    with target.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for part in parts:
            with part.open(encoding="utf-8", newline="") as fh:
                shutil.copyfileobj(fh, out, 1 << 20)
            part.unlink()
