"""The one place matching SQL runs: steps in order, each timed, failures re-raised with the
step's name and SQL so "why is this an exception" can be traced step by step."""

from __future__ import annotations

import datetime as dt
import functools
import re
import time
import unicodedata
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
from rapidfuzz import fuzz, utils

from connectors.canonical import Cause
from jobs.currencies import iso_codes
from jobs.matching import rules_bank, rules_other
from jobs.matching.defects import defect_steps
from jobs.matching.prepare import prepare_steps
from jobs.matching.results import result_steps, rule_tables
from jobs.matching.steps import Step
from jobs.normalised import NORMALISED, refresh, source_sql
from jobs.settings import Settings
from jobs.validation_checks import ensure_tables, failure_view_sql

CONFIDENCE = {"payout_net_of_fees": 0.99, "exact_reference": 1.0, "reference_in_text": 0.95,
              "batch_payment": 0.9, "three_way_po": 0.97, "intercompany_pair": 0.95,
              "fuzzy_name": 0.85}


class StepFailed(RuntimeError):
    def __init__(self, step: Step, err: Exception):
        hint = ("\nThe warehouse's memory limit was reached: raise memory_limit under [warehouse] in "
                "recon.toml (or RECON_WAREHOUSE__MEMORY_LIMIT)."
                if isinstance(err, duckdb.OutOfMemoryException) else "")
        super().__init__(f"matching step '{step.name}' failed: {err}{hint}\n--- SQL ---\n{step.sql}")


@dataclass
class MatchReport:
    seconds_by_step: dict[str, float] = field(default_factory=dict)


def rule_steps(rule: str, settings: Settings) -> list[Step]:
    conf = CONFIDENCE[rule]
    # a split document is a one-to-many group (batch_payment) found from the reference
    # candidates, before their pairs are taken
    split = (CONFIDENCE["batch_payment"] if "batch_payment" in settings.matching.rule_order
             else None)
    return {
        "payout_net_of_fees": lambda: rules_bank.payout_steps(conf),
        "exact_reference": lambda: (rules_bank.exact_reference_steps(conf, split)
                                    + rules_other.charge_invoice_steps(conf)),
        "reference_in_text": lambda: rules_bank.reference_in_text_steps(conf),
        "batch_payment": lambda: rules_bank.batch_payment_steps(
            conf, settings.matching.max_batch_size),
        "three_way_po": lambda: rules_other.three_way_steps(conf),
        "intercompany_pair": lambda: rules_other.intercompany_steps(conf),
        "fuzzy_name": lambda: (rules_bank.fuzzy_name_steps(conf)
                               + rules_other.customer_amount_steps(conf)),
    }[rule]()


def all_steps(settings: Settings, maintained: bool = False) -> list[Step]:
    """Every matching step in order; ``maintained`` reads the normalised tables
    (``jobs.normalised``), otherwise the current versions are normalised on the way."""
    current = " UNION ALL ".join(f"SELECT record_id, snapshot_id FROM {source_sql(t, maintained)}"
                                 for t in NORMALISED)
    steps = prepare_steps(maintained) + [Step("validation failures", f"""
        CREATE OR REPLACE TEMP TABLE recon__validation_failure AS {failure_view_sql(current)}""")]
    steps += defect_steps() + rule_tables() + [rules_bank.grams_step()]
    if {"reference_in_text", "batch_payment"} & set(settings.matching.rule_order):
        steps.append(rules_bank.text_candidates_step())
    for rule in settings.matching.rule_order:
        steps += rule_steps(rule, settings)
    if "reference_in_text" in settings.matching.rule_order:
        steps += rules_bank.residual_reference_steps(CONFIDENCE["reference_in_text"])
    steps += rules_bank.unmapped_account_steps()
    steps += result_steps()
    return steps


LEGAL_FORMS = frozenset("""ab ag as bv co corp corporation gmbh inc incorporated kg kk llc llp
    ltd limited nv oy plc pty sa sarl sas spa srl ug""".split())


_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "AE", "Ö": "OE",
                         "Ü": "UE"})


@functools.lru_cache(maxsize=1 << 16)  # a counterparty's name recurs on many candidate pairs
def _name_key(name: str) -> str:
    """Lower-case ASCII words without punctuation or legal forms: 'Schröder GmbH.' → 'schroeder'.
    Banks transliterate umlauts and drop accents in fixed-width name fields."""
    ascii_name = unicodedata.normalize("NFKD", name.translate(_GERMAN))
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    words = utils.default_process(ascii_name).split()
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)


_ABBREVIATION = re.compile(r"(\w{4,})\.")


def _expanded(name: str, other_key: str) -> str:
    """``name`` with each abbreviated word ('Elektrotechn.') written out as the word of the
    other name it begins ('elektrotechniek'), where there is one and the abbreviation keeps
    most of it ('Elektro.' does not stand for 'elektrotechnik': a word of its own)."""
    words = other_key.split()

    def full(match: re.Match) -> str:
        stem = _name_key(match.group(1))
        return next((w for w in words if len(stem) < len(w) <= len(stem) / 0.6
                     and w.startswith(stem)), match.group(0))
    return _ABBREVIATION.sub(full, name)


def name_similarity(a: str | None, b: str | None) -> float | None:
    """Similarity 0..100 of two counterparty names, robust to typos, word order, legal forms,
    abbreviated words and extra words on one side (ERP texts often wrap the name in others)."""
    if not a or not b:
        return None
    ka, kb = _name_key(a), _name_key(b)
    if "." in a:
        ka = _name_key(_expanded(a, kb))
    if "." in b:
        kb = _name_key(_expanded(b, ka))
    # Fixed-width bank fields often drop the spaces: compare without them too, and find the
    # glued name inside a longer text when it is long enough to say something.
    na, nb = ka.replace(" ", ""), kb.replace(" ", "")
    inside = fuzz.partial_ratio(na, nb) if min(len(na), len(nb)) >= 12 else 0
    return max(fuzz.token_set_ratio(ka, kb), fuzz.WRatio(ka, kb), fuzz.ratio(na, nb), inside)


def _name_score(left: pa.Array, right: pa.Array) -> pa.Array:
    out = [name_similarity(a, b) for a, b in zip(left.to_pylist(), right.to_pylist(), strict=True)]
    return pa.array(out, type=pa.float64())


def unique_subset(ids: list[str], amounts: list, target) -> list[str] | None:
    """The ids of the one subset of ``amounts`` that adds up exactly to ``target``; None when
    no subset or more than one does (never guess), or beyond rules_bank.MAX_SUBSET_LINES.
    Meet in the middle: every sum of each half, then the pairs that complete each other."""
    if target is None or not 2 <= len(ids) <= rules_bank.MAX_SUBSET_LINES or None in amounts:
        return None
    half = len(ids) // 2

    def sums(values: list) -> dict:
        out: dict = {0: [0]}
        for i, v in enumerate(values):
            step: dict = {}
            for total, masks in out.items():  # each subset without value i, and with it
                step.setdefault(total, []).extend(masks)
                step.setdefault(total + v, []).extend(m | 1 << i for m in masks)
            out = step
        return out

    left, right = sums(amounts[:half]), sums(amounts[half:])
    found = [(a, b) for total, bs in right.items() for b in bs
             for a in left.get(target - total, []) if a or b]  # not the empty subset
    if len(found) != 1:
        return None
    a, b = found[0]
    mask = a | b << half
    return [i for k, i in enumerate(ids) if mask >> k & 1]


def _unique_subset(ids: pa.Array, amounts: pa.Array, target: pa.Array) -> pa.Array:
    out = [unique_subset(i, a, t) if i is not None and a is not None else None
           for i, a, t in zip(ids.to_pylist(), amounts.to_pylist(), target.to_pylist(),
                              strict=True)]
    return pa.array(out, type=pa.list_(pa.string()))


def rule_params(settings: Settings, as_of: dt.date, until: dt.datetime | None) -> dict:
    m = settings.matching
    return {"tol_abs": m.amount_tolerance_abs, "tol_rel": m.amount_tolerance_rel,
            "window": m.date_window_days,
            # an intercompany counterpart the settlement window still waits for can still pair
            "ic_window": max(m.date_window_days, settings.settlement_days.get("intercompany", 0)),
            "min_score": m.fuzzy_name_min_score,
            "fx_band": m.fx_rate_band, "ic_band": m.intercompany_pair_band,
            "price_tol": m.po_price_tolerance_rel, "as_of": as_of,
            "causes": [c.value for c in Cause], "until": until}


def _register(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.create_function("name_score", _name_score, ["VARCHAR", "VARCHAR"], "DOUBLE",
                            type="arrow", null_handling="special")
        con.create_function("unique_subset", _unique_subset,
                            ["VARCHAR[]", "DECIMAL(18,4)[]", "DECIMAL(18,4)"], "VARCHAR[]",
                            type="arrow", null_handling="special")
    except duckdb.NotImplementedException:
        pass  # already registered on this connection


def execute(con: duckdb.DuckDBPyConnection, steps: list[Step], params: dict) -> MatchReport:
    report = MatchReport()
    for step in steps:
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", step.sql)}
        started = time.perf_counter()
        try:
            con.execute(step.sql, used)
        except duckdb.Error as err:
            raise StepFailed(step, err) from err
        report.seconds_by_step[step.name] = time.perf_counter() - started
    return report


def match(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: dt.date,
          until: dt.datetime | None = None) -> MatchReport:
    """Run every workflow's rules; leaves recon__groups and recon__exc_now for the caller.

    ``until`` limits the records to versions extracted up to then (replay of a past snapshot).
    """
    _register(con)
    ensure_tables(con)
    con.execute("CREATE OR REPLACE TEMP TABLE recon__iso (code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO recon__iso VALUES (?)", [[c] for c in sorted(iso_codes())])
    con.execute("CREATE OR REPLACE TEMP TABLE recon__windows (workflow VARCHAR, days INTEGER)")
    con.executemany("INSERT INTO recon__windows VALUES (?, ?)",
                    [[w, d] for w, d in settings.settlement_days.items()])
    report = MatchReport()
    maintained = until is None  # a replay normalises the versions it sees
    if maintained:
        started = time.perf_counter()
        refresh(con)
        report.seconds_by_step["normalise new snapshots"] = time.perf_counter() - started
    ran = execute(con, all_steps(settings, maintained), rule_params(settings, as_of, until))
    report.seconds_by_step.update(ran.seconds_by_step)
    return report
