"""``recon inspect`` over the whole sample corpus (every kind, not only bank files): no file
produces a traceback, every file invalid on purpose is rejected, every rejection says which
file and what is wrong, and at least 95 % of the bank files parse. ``pytest -s`` prints the
parse rate per kind.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from jobs.inspect_file import inspect_file

CORPUS = Path(os.environ.get("RECON_CORPUS",
                             Path(__file__).resolve().parents[2] / "shared" / "corpus"))
BANK_KINDS = ("camt053", "camt054", "mt940", "bai2")

#: Files that are invalid on purpose (SOURCES.md): inspect must reject them, naming why.
INVALID_ON_PURPOSE = {
    "camt053/genkgo-camt/camt053.v2.wrong.xml": "holds no statement",
    "mt940/wolph-mt940/betterplace__amount_formats.sta": "unrecognised format",
    "mt940/wolph-mt940/betterplace__missing_crlf_at_end.sta": "unrecognised format",
    "mt940/wolph-mt940/self-provided__invalid_statement.sta": "unrecognised format",
    "mt940/wolph-mt940/self-provided__sparkassen.sta": "unrecognised format",
    "bai2/venturehacks-bai2/invalid_checksum_eod.bai2": "control total",
    "bai2/moov-bai2/sample-parseError.txt": "unrecognised format",
}

#: What a message looks like when an exception leaked instead of a reason: a bare repr
#: (``KeyError: 'x'``) or the catch-all of :func:`inspect_file`.
BARE = re.compile(r"unexpected error while reading|^\w+(Error|Exception)\b|^\w+\(.*\)$")


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md")


FILES = corpus_files()
pytestmark = pytest.mark.skipif(
    not FILES, reason=f"sample corpus not found at {CORPUS} (set RECON_CORPUS to its folder)")


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    """Every corpus file inspected once (no exception may escape ``inspect_file``)."""
    return {str(p.relative_to(CORPUS)): inspect_file(p) for p in FILES}


def test_no_file_escapes_as_an_exception(reports):
    assert len(reports) == len(FILES)
    for name, report in reports.items():
        assert report["ok"] is ("error" not in report), name


def test_every_rejection_names_the_file_and_what_is_wrong(reports):
    for name, report in reports.items():
        if report["ok"]:
            continue
        error = report["error"]
        path = str(CORPUS / name)
        assert error.startswith(path), f"{name}: {error}"
        reason = error[len(path):].lstrip(" :")
        if reason.startswith("(record"):
            reason = reason.split("):", 1)[1].strip()
        assert len(reason) > 20 and not BARE.search(reason), f"{name}: {error}"


@pytest.mark.parametrize("name, reason", sorted(INVALID_ON_PURPOSE.items()))
def test_files_invalid_on_purpose_are_rejected(reports, name, reason):
    report = reports[name]
    assert not report["ok"] and reason in report["error"], report


def test_accepted_bank_files_report_totals_per_currency_and_their_problems(reports):
    for name, report in reports.items():
        if not (report["ok"] and name.split("/")[0] in BANK_KINDS):
            continue
        control = report["control"]
        assert report["warnings"] == control["problems"], name
        if control["balance_proved"] is False:
            assert report["warnings"], name
        if report["records"]:
            totals = report["totals_by_currency"]
            assert totals and all(re.fullmatch(r"[A-Z]{3}", c) for c in totals), name
            assert report["total_amount"] == ", ".join(f"{a} {c}" for c, a in totals.items())


def test_a_file_in_several_currencies_is_never_summed_across_them(reports):
    report = reports["mt940/wolph-mt940/cmxl__mt940.sta"]
    assert report["ok"] and len(report["totals_by_currency"]) > 1, report


def test_parse_rate_per_kind(reports, capsys):
    """At least 95 % of the bank files parse; the table is printed with ``pytest -s``."""
    files: dict[str, int] = defaultdict(int)
    parsed: dict[str, int] = defaultdict(int)
    warned: dict[str, int] = defaultdict(int)
    for name, report in reports.items():
        kind = name.split("/")[0]
        files[kind] += 1
        parsed[kind] += report["ok"]
        warned[kind] += bool(report.get("warnings"))
    with capsys.disabled():
        print("\nrecon inspect over the corpus: parsed (of which with warnings) / files")
        for kind in sorted(files, key=lambda k: (k not in BANK_KINDS, k)):
            print(f"  {kind:12} {parsed[kind]:3} ({warned[kind]:2}) / {files[kind]:<3} "
                  f"{parsed[kind] / files[kind]:6.1%}")
    bank_files = sum(files[k] for k in BANK_KINDS)
    assert bank_files and sum(parsed[k] for k in BANK_KINDS) / bank_files >= 0.95
