"""Score recon's exports against an unseen enterprise's ``truth.csv`` (independent of recon evaluate).

Records are keyed by ``(source_system, source_ref)``; an ERP ref's line item is compared as a number
(``NL10/2025/1400000001/001`` == ``.../1``). Definitions:

* truth group: records with ``expected=match`` sharing a ``match_key``; truth pairs: every unordered
  pair of records inside one truth group.
* predicted group: the members (left and right refs) of the rows of one ``match_id`` in the matches
  export; predicted pairs: every unordered pair inside one predicted group.
* ``match_precision`` (pairwise) = predicted pairs that are truth pairs / predicted pairs. A pair with
  a record that has no truth row (out of scope, or an expected exception) is a false pair.
* ``match_pair_recall`` = predicted truth pairs / truth pairs.
* ``match_recall`` (records) = truth-match records whose predicted group is exactly their truth group
  / truth-match records. ``match_recall_partial`` relaxes "exactly" to "a non-empty subset of".
* ``group_precision`` = predicted groups whose members all share one truth match_key / groups.
* predicted cause of a record: the cause of its own open exception row; failing that, of an open row
  naming it as counterpart; a record in a predicted group has none. Per cause, over records with a
  truth row: precision = right / predicted with that cause, recall = right / truth with that cause.
  Records without a truth row are counted apart (``outside_truth``), not in the per-cause figures.

    python -m tests.unseen.score truth.csv matches.csv exceptions.csv [--examples 3]
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path


def _key(system: str, ref: str) -> tuple[str, str]:
    if system == "erp" and ref.count("/") == 3:
        head, line = ref.rsplit("/", 1)
        ref = f"{head}/{int(line)}" if line.isdigit() else ref
    return system, ref


def _pairs(members) -> set[frozenset]:
    return {frozenset(p) for p in combinations(sorted(members), 2)}


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def score(truth_csv: Path, matches_csv: Path, exceptions_csv: Path) -> dict:
    truth = {_key(r["source_system"], r["source_ref"]): r
             for r in csv.DictReader(Path(truth_csv).open(encoding="utf-8"))}
    tgroups: dict[str, set] = defaultdict(set)
    for k, r in truth.items():
        if r["expected"] == "match":
            tgroups[r["match_key"]].add(k)
    tgroup_of = {k: g for g in tgroups.values() for k in g}

    pgroups: dict[str, set] = defaultdict(set)
    rules: dict[str, str] = {}
    for r in csv.DictReader(Path(matches_csv).open(encoding="utf-8")):
        pgroups[r["match_id"]] |= {_key(r["left_system"], r["left_ref"]), _key(r["right_system"], r["right_ref"])}
        rules[r["match_id"]] = f"{r['workflow']}/{r['rule']}"
    pgroup_of: dict[tuple, str] = {}
    multi = 0
    for mid, members in pgroups.items():
        for k in members:
            multi += k in pgroup_of
            pgroup_of[k] = mid

    own: dict[tuple, dict] = {}
    via_counterpart: dict[tuple, dict] = {}
    for r in csv.DictReader(Path(exceptions_csv).open(encoding="utf-8")):
        if r.get("status", "open") != "open":
            continue
        own.setdefault(_key(r["source_system"], r["source_ref"]), r)
        if r.get("counterpart_ref"):
            via_counterpart.setdefault(_key(r["counterpart_system"], r["counterpart_ref"]), r)

    def predicted(k) -> tuple[str, dict | None]:
        if k in pgroup_of:
            g, t = pgroups[pgroup_of[k]], tgroup_of.get(k)
            if t and g == t:
                return "match:exact", None
            return ("match:partial" if t and g <= t else "match:wrong"), None
        row = own.get(k) or via_counterpart.get(k)
        return (row["cause"], row) if row else ("none", None)

    # matches
    tpairs = set().union(*(_pairs(g) for g in tgroups.values())) if tgroups else set()
    ppairs = set().union(*(_pairs(g) for g in pgroups.values())) if pgroups else set()
    good_pairs = ppairs & tpairs
    match_records = [k for k, r in truth.items() if r["expected"] == "match"]
    outcome = {k: predicted(k) for k in truth}
    exact = sum(outcome[k][0] == "match:exact" for k in match_records)
    partial = sum(outcome[k][0] in ("match:exact", "match:partial") for k in match_records)
    good_groups = sum(len({truth[k]["match_key"] if k in truth and truth[k]["expected"] == "match" else None
                           for k in g} - {None}) == 1 and all(k in tgroup_of for k in g) for g in pgroups.values())

    # causes
    causes = sorted({r["cause"] for r in truth.values() if r["cause"]} |
                    {outcome[k][0] for k in truth if not outcome[k][0].startswith(("match", "none"))})
    per_cause = {}
    for c in causes:
        support = sum(r["cause"] == c for r in truth.values())
        pred = sum(outcome[k][0] == c for k in truth)
        right = sum(outcome[k][0] == c and truth[k]["cause"] == c for k in truth)
        per_cause[c] = {"support": support, "predicted": pred, "correct": right,
                        "precision": _ratio(right, pred), "recall": _ratio(right, support)}

    both = [k for k, r in truth.items() if r["sub_cause"] and outcome[k][0] == r["cause"]]
    sub_agree = sum((outcome[k][1] or {}).get("sub_cause", "") == truth[k]["sub_cause"] for k in both)
    outside = Counter()
    for k in set(pgroup_of) | set(own):
        if k not in truth:
            outside[(k[0], "matched" if k in pgroup_of else own[k]["cause"])] += 1

    # failure buckets: (system, truth outcome, truth kind) -> predicted outcome, with examples
    buckets: dict[tuple, list] = defaultdict(list)
    for k, r in truth.items():
        want = "match" if r["expected"] == "match" else r["cause"]
        got, row = outcome[k]
        ok = got == "match:exact" if want == "match" else got == want
        if not ok:
            kind = r["match_kind"].split("|")[0]
            buckets[(r["workflow"], kind, want, got)].append((k, row))
    false_pairs = sorted(ppairs - tpairs, key=sorted)
    return {
        "match_precision": _ratio(len(good_pairs), len(ppairs)),
        "match_recall": _ratio(exact, len(match_records)),
        "match_recall_partial": _ratio(partial, len(match_records)),
        "match_pair_recall": _ratio(len(good_pairs), len(tpairs)),
        "group_precision": _ratio(good_groups, len(pgroups)),
        "predicted_pairs": len(ppairs), "truth_pairs": len(tpairs), "truth_match_records": len(match_records),
        "predicted_groups": len(pgroups), "records_in_two_groups": multi,
        "causes": per_cause, "sub_cause_agreement": _ratio(sub_agree, len(both)),
        "outside_truth": {f"{s}:{o}": n for (s, o), n in sorted(outside.items())},
        "_buckets": buckets, "_false_pairs": false_pairs, "_truth": truth, "_pgroups": pgroups,
        "_pgroup_of": pgroup_of, "_rules": rules, "_outcome": outcome,
    }


def report(result: dict, examples: int = 3) -> str:
    truth, out = result["_truth"], []
    out.append("MATCHES")
    for k in ("match_precision", "match_recall", "match_recall_partial", "match_pair_recall", "group_precision"):
        out.append(f"  {k:22s} {result[k]:.4f}")
    out.append(f"  predicted pairs {result['predicted_pairs']}, truth pairs {result['truth_pairs']}, truth-match "
               f"records {result['truth_match_records']}, predicted groups {result['predicted_groups']}, "
               f"records in two groups {result['records_in_two_groups']}")
    out.append("\nCAUSES (over records with a truth row)")
    out.append(f"  {'cause':24s} {'support':>7s} {'pred':>6s} {'right':>6s} {'prec':>7s} {'recall':>7s}")
    for c, m in result["causes"].items():
        out.append(f"  {c:24s} {m['support']:7d} {m['predicted']:6d} {m['correct']:6d} "
                   f"{m['precision']:7.3f} {m['recall']:7.3f}")
    out.append(f"  sub-cause agreement where the cause is right: {result['sub_cause_agreement']:.3f}")
    if result["outside_truth"]:
        out.append("\nRECORDS WITHOUT A TRUTH ROW that recon matched or raised: "
                   + ", ".join(f"{k}={v}" for k, v in result["outside_truth"].items()))

    def describe(k) -> str:
        r = truth.get(k)
        got, row = result["_outcome"].get(k, ("none", None))
        if k in result["_pgroup_of"]:
            mid = result["_pgroup_of"][k]
            got += f" [{result['_rules'][mid]} with " + ", ".join(
                f"{s}:{ref}" for s, ref in sorted(result["_pgroups"][mid] - {k})) + "]"
        elif row:
            got += f" [{row.get('sub_cause', '')} cp={row.get('counterpart_ref', '')} amt={row.get('amount', '')}" \
                   f" diff={row.get('difference', '')}]"
        want = "no truth row" if r is None else (f"{r['expected']} {r['cause']}/{r['sub_cause']}".rstrip("/")
                                                 + f" kind={r['match_kind']} key={r['match_key']}")
        return f"{k[0]}:{k[1]}  truth: {want}  got: {got}"

    out.append("\nBY KIND (records right / records; right = exact group, or the truth cause)")
    kinds: dict[tuple, list] = defaultdict(lambda: [0, 0])
    for k, r in truth.items():
        got = result["_outcome"][k][0]
        cell = kinds[(r["workflow"], r["match_kind"].split("|")[0], r["expected"])]
        cell[0] += got == "match:exact" if r["expected"] == "match" else got == r["cause"]
        cell[1] += 1
    for (wf, kind, exp), (ok, n) in sorted(kinds.items()):
        out.append(f"  {wf:18s} {exp:9s} {kind:52s} {ok:5d}/{n:<5d} {ok / n:6.1%}")
    out.append("\nBIGGEST FAILURE GROUPS (workflow, truth kind, truth outcome -> recon outcome)")
    for (wf, kind, want, got), items in sorted(result["_buckets"].items(), key=lambda kv: -len(kv[1]))[:25]:
        out.append(f"  {len(items):5d}  {wf:18s} {kind:40s} {want:22s} -> {got}")
        shown: list = []
        for k, _ in items:
            if len(shown) == examples or (truth[k]["match_key"] and truth[k]["match_key"] in shown):
                continue
            shown.append(truth[k]["match_key"] or k)
            out.append(f"           {describe(k)}")
            if truth[k]["match_key"]:
                for m in sorted(kk for kk, r in truth.items() if r["match_key"] == truth[k]["match_key"] and kk != k):
                    out.append(f"             partner {describe(m)}")
    out.append(f"\nFALSE MATCH PAIRS ({len(result['_false_pairs'])}), a sample")
    for p in result["_false_pairs"][: examples * 4]:
        a, b = sorted(p)
        out.append(f"  {result['_rules'][result['_pgroup_of'][a]]}\n    {describe(a)}\n    {describe(b)}")
    return "\n".join(out)


def public(result: dict) -> dict:
    return {k: v for k, v in result.items() if not k.startswith("_")}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="Score recon exports against an unseen enterprise's truth.csv")
    ap.add_argument("truth", type=Path)
    ap.add_argument("matches", type=Path)
    ap.add_argument("exceptions", type=Path)
    ap.add_argument("--examples", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = score(a.truth, a.matches, a.exceptions)
    print(json.dumps(public(res), indent=1) if a.json else report(res, a.examples))
