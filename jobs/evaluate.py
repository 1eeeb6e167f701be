"""Precision and recall of a run against a simulation's truth.csv (or any truth in that format).

Records are named as SPEC §10 names them (system + source_ref), so the same evaluation applies
to exports of data recon has never seen. Matches are judged per record: a matched record is
correct when every other member of its group belongs to its true group. Causes are judged per
record: the cause of the exception on that record against the true cause.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.canonical import Cause

Key = tuple[str, str]


@dataclass
class Truth:
    group: dict[Key, str] = field(default_factory=dict)       # should-match records → true group
    cause: dict[Key, str] = field(default_factory=dict)       # exception records → true cause
    sub_cause: dict[Key, str] = field(default_factory=dict)


def read_truth(path: Path) -> Truth:
    truth = Truth()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"source_system", "source_ref", "expected"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: truth file lacks column(s) {sorted(missing)}")
        for n, row in enumerate(reader, start=2):
            key = (row["source_system"], row["source_ref"])
            if row["expected"] == "match":
                truth.group[key] = row.get("match_key") or f"line{n}"
            elif row["expected"] == "exception":
                truth.cause[key] = row.get("cause") or ""
                if row.get("sub_cause"):
                    truth.sub_cause[key] = row["sub_cause"]
            else:
                raise ValueError(f"{path}: line {n}: expected must be match or exception, "
                                 f"got {row['expected']!r}")
    return truth


def predicted_groups(con: duckdb.DuckDBPyConnection) -> dict[str, list[Key]]:
    groups: dict[str, list[Key]] = defaultdict(list)
    for match_id, system, ref in con.execute(
            "SELECT match_id, source_system, source_ref FROM match_member").fetchall():
        groups[match_id].append((system, ref))
    return groups


def predicted_causes(con: duckdb.DuckDBPyConnection) -> dict[Key, tuple[str, str | None]]:
    return {(s, r): (c, sc) for s, r, c, sc in con.execute(
        "SELECT source_system, source_ref, cause, sub_cause FROM exception WHERE status = 'open'"
    ).fetchall()}


def evaluate(truth: Truth, groups: dict[str, list[Key]],
             causes: dict[Key, tuple[str, str | None]]) -> dict:
    correct = predicted = 0
    for members in groups.values():
        for key in members:
            predicted += 1
            mine = truth.group.get(key)
            if mine is not None and all(truth.group.get(o) == mine for o in members if o != key):
                correct += 1
    should = len(truth.group)
    result = {
        "match_precision": round(correct / predicted, 6) if predicted else 1.0,
        "match_recall": round(correct / should, 6) if should else 1.0,
        "matched_records": predicted, "should_match_records": should,
        "causes": {},
    }
    tp, pred, support = Counter(), Counter(), Counter(truth.cause.values())
    for key, (cause, _) in causes.items():
        pred[cause] += 1
        if truth.cause.get(key) == cause:
            tp[cause] += 1
    for cause in [c.value for c in Cause]:
        result["causes"][cause] = {
            "precision": round(tp[cause] / pred[cause], 6) if pred[cause] else None,
            "recall": round(tp[cause] / support[cause], 6) if support[cause] else None,
            "support": support[cause], "predicted": pred[cause]}
    subs = [(truth.sub_cause[k], causes[k][1]) for k in truth.sub_cause
            if k in causes and causes[k][0] == "amount_variance"]
    result["sub_cause_accuracy"] = (round(sum(a == b for a, b in subs) / len(subs), 6)
                                    if subs else None)
    return result
