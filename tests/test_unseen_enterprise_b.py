"""End to end on a second enterprise recon has never seen (tests/unseen/enterprise_b.py: the Nordvik
group, SE01/GB02/JP03 in SEK/GBP/JPY, written from the SPEC only with other banks, layouts and ERP
habits than tests/unseen/enterprise.py), through the command line as a client would.

Both bars hold, at 1,500 bank lines here and at 10,000 in the slow run; what it found missing
is in the README (Matching quality): a customer payment the ERP splits over several bank-GL
lines of one document, payment runs paid in several debits or leaving out one of the run's
payments, PO changes combined with partial receipts, intercompany references written only in
the partner's line text, trading partners that are no entity.
"""

from __future__ import annotations

import pytest

from tests.unseen.cli import assert_cause_bar, assert_match_bar, run_and_score
from tests.unseen.enterprise_b import generate

AS_OF = "2026-01-15"


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    return run_and_score(generate, tmp_path_factory.mktemp("unseen_b"), 1, 1500, AS_OF)


def test_every_generated_file_is_ingested(scored):
    summary, _ = scored
    assert " 0 quarantined" in summary, summary


def test_match_quality_bar(scored):
    assert_match_bar(scored[1])


def test_cause_quality_bar(scored):
    assert_cause_bar(scored[1])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_quality_bar_at_ten_thousand_bank_lines(tmp_path, seed):
    _, result = run_and_score(generate, tmp_path, seed, 10_000, AS_OF)
    assert_match_bar(result)
    assert_cause_bar(result)
