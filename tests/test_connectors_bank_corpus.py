"""Corpus conformance: every real bank sample file is read (golden counts and totals) or rejected
with a clear reason. Refresh the golden files with ``RECON_UPDATE_GOLDEN=1 pytest ...``.

Each golden file records the outcome under the default policy (``counted``: rejected only for
what reveals a loss in reading; the file's own inconsistencies listed as problems) and, for a
file accepted with problems, why the strict policy (``reject``) refuses it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bank.bai2 import Bai2Connector
from connectors.bank.camt import CamtConnector
from connectors.bank.mt940 import Mt940Connector
from connectors.base import RejectedFile

CORPUS = Path(os.environ.get("RECON_CORPUS",
                             Path(__file__).resolve().parents[2] / "shared" / "corpus"))
GOLDEN = Path(__file__).parent / "golden" / "bank"
UPDATE = os.environ.get("RECON_UPDATE_GOLDEN") == "1"
KINDS = {"camt053": CamtConnector, "camt054": CamtConnector, "mt940": Mt940Connector,
         "bai2": Bai2Connector}

#: Files that are invalid on purpose: every reader must refuse them.
INVALID_ON_PURPOSE = {
    "camt053/genkgo-camt/camt053.v2.wrong.xml": "holds no statement",
    "mt940/wolph-mt940/betterplace__amount_formats.sta": "no MT940 statement",
    "mt940/wolph-mt940/betterplace__missing_crlf_at_end.sta": "no MT940 statement",
    "mt940/wolph-mt940/self-provided__invalid_statement.sta": "no MT940 statement",
    "mt940/wolph-mt940/self-provided__sparkassen.sta": "no MT940 statement",
    "bai2/venturehacks-bai2/invalid_checksum_eod.bai2": "control total",
    "bai2/moov-bai2/sample-parseError.txt": "does not start with a BAI2 record code",
}


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.relative_to(CORPUS)) for kind in KINDS for p in (CORPUS / kind).rglob("*")
                  if p.is_file())


FILES = corpus_files()
needs_corpus = pytest.mark.skipif(
    not FILES, reason=f"bank sample corpus not found at {CORPUS} (set RECON_CORPUS to its folder)")


def outcome(name: str, **options) -> dict:
    """What reading one corpus file gives: counts, totals per currency, statements, problems;
    or why not."""
    connector = KINDS[name.split("/")[0]](**options)
    try:
        batch = connector.read(CORPUS / name)
    except RejectedFile as err:
        return {"outcome": "rejected", "problem": err.problem, "record": err.record}
    totals: Counter[str] = Counter()
    for row in batch.tables["bank_transaction"]:
        totals[row["currency"]] += row["amount"]
    control = batch.control
    return {
        "outcome": "parsed", "format": batch.format, "records": batch.record_count(),
        "totals": {c: f"{Decimal(t):f}" for c, t in sorted(totals.items())},
        "statements": [{k: s[k] for k in ("statement_id", "entries", "rows", "balance")}
                       for s in control["statements"]],
        "entries_counted": control["entries_counted"],
        "balance_proved": control["balance_proved"], "problems": control["problems"],
    }


def golden_of(name: str) -> dict:
    result = {"file": name, **outcome(name)}
    if result.get("problems"):
        strict = outcome(name, on_balance_mismatch="reject")
        assert strict["outcome"] == "rejected", f"{name}: strict accepts what has problems"
        result["when_strict"] = {k: strict[k] for k in ("problem", "record")}
    return result


@needs_corpus
@pytest.mark.parametrize("name", FILES or ["(no corpus)"])
def test_corpus_file_matches_golden(name):
    path = GOLDEN / f"{name}.json"
    actual = golden_of(name)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file for {name}; run with RECON_UPDATE_GOLDEN=1"
    assert actual == json.loads(path.read_text())
    if actual["outcome"] == "rejected":
        assert actual["problem"] and len(actual["problem"]) > 20, "reason must say what is wrong"


@needs_corpus
@pytest.mark.parametrize("name, reason", sorted(INVALID_ON_PURPOSE.items()))
def test_files_invalid_on_purpose_are_rejected(name, reason):
    for policy in ("counted", "reject", "flag"):
        result = outcome(name, on_balance_mismatch=policy)
        assert result["outcome"] == "rejected" and reason in result["problem"], policy


@needs_corpus
def test_rabobank_2003_file_is_read_whole_not_silently_shortened():
    """mt-940 alone reads 10 of its 39 statement lines; the reader reads all, then proves."""
    result = outcome("mt940/fruitl00p-php-mt940/Rabo__sample")
    assert result["records"] == 39 and result["entries_counted"] == "39 :61: statement lines"


@needs_corpus
def test_files_accepted_with_problems_say_what_is_wrong():
    """Everything accepted leniently carries a problem naming its figures, and every file
    whose balance is not proved says so."""
    for name in FILES:
        golden = json.loads((GOLDEN / f"{name}.json").read_text())
        if golden["outcome"] != "parsed":
            continue
        assert golden["entries_counted"], name
        if any(s["balance"].startswith("MISMATCH") for s in golden["statements"]):
            assert golden["balance_proved"] is False, name
        if golden["balance_proved"] is False:
            assert golden["problems"], name
        assert bool(golden["problems"]) == ("when_strict" in golden), name


def parse_rates() -> dict[str, tuple[int, int, int]]:
    """Per kind: files, parsed under the default policy, parsed under the strict one."""
    rates: dict[str, list[int]] = {kind: [0, 0, 0] for kind in KINDS}
    for name in FILES:
        kind = name.split("/")[0]
        golden = json.loads((GOLDEN / f"{name}.json").read_text())
        rates[kind][0] += 1
        rates[kind][1] += golden["outcome"] == "parsed"
        rates[kind][2] += golden["outcome"] == "parsed" and "when_strict" not in golden
    return {kind: tuple(v) for kind, v in rates.items()}


@needs_corpus
def test_parse_rate_report(capsys):
    """Prints the parse rate per kind (``pytest -s``); at least 95 % of the bank files parse."""
    rates = parse_rates()
    with capsys.disabled():
        print("\nbank corpus parse rate (default policy / strict):")
        for kind, (files, default, strict) in rates.items():
            print(f"  {kind:8} {default:3}/{files:<3} {default / files:6.1%}   "
                  f"{strict:3}/{files:<3} {strict / files:6.1%}")
    files = sum(r[0] for r in rates.values())
    assert files == len(FILES)
    assert sum(r[1] for r in rates.values()) / files >= 0.95


@needs_corpus
def test_every_corpus_file_is_recognised_by_content():
    """The right bank connector claims each file; only files that are not the format (fragments,
    a wrong first record) go unrecognised; no other system's sample is claimed."""
    from connectors.registry import detect

    connectors = [CamtConnector(), Mt940Connector(), Bai2Connector()]
    expected = {"camt053": "camt", "camt054": "camt", "mt940": "mt940", "bai2": "bai2"}
    unrecognised = []
    for name in FILES:
        try:
            assert detect(CORPUS / name, connectors).name == expected[name.split("/")[0]], name
        except RejectedFile:
            unrecognised.append(name)
    assert sorted(unrecognised) == sorted(
        n for n in INVALID_ON_PURPOSE if n.startswith(("mt940", "bai2/moov")))
    others = [p for kind in ("stripe", "erp", "procurement") if (CORPUS / kind).is_dir()
              for p in (CORPUS / kind).rglob("*") if p.is_file()]
    claimed = [p.name for p in others for c in connectors if c.sniff(p.read_bytes()[:65536], p)]
    assert claimed == []
