"""End to end on an enterprise recon has never seen (tests/unseen: written from SPEC only, with its
own truth and scorer), through the command line as a client would: run, export, score.

The figures are the SPEC quality bar. A failure here names matcher weaknesses, not a broken test:
``python -m tests.unseen.score`` prints the worst offenders with their refs.
"""

from __future__ import annotations

import pytest

from tests.unseen.cli import assert_cause_bar, assert_match_bar, run_and_score
from tests.unseen.enterprise import generate

AS_OF = "2025-11-28"


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    return run_and_score(generate, tmp_path_factory.mktemp("unseen"), 1, 1500, AS_OF)


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
    """The same bar on two seeds at 10,000 bank lines (about 24,000 records that should match)."""
    _, result = run_and_score(generate, tmp_path, seed, 10_000, AS_OF)
    assert_match_bar(result)
    assert_cause_bar(result)
