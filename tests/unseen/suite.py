"""The end-to-end tests every unseen enterprise gets: a test module subclasses ``Unseen`` (its
name starting with Test) with its generator and as-of date; the class itself is not collected."""

from __future__ import annotations

import pytest

from tests.unseen.cli import Generator, assert_cause_bar, assert_match_bar, run_and_score


class Unseen:
    """Seed 1 at 1,500 bank lines in the default run; seeds 1 and 2 at 10,000 as slow tests.
    The figures are the SPEC quality bar: a failure names matcher weaknesses, not a broken
    test (``python -m tests.unseen.score`` prints the worst offenders with their refs)."""

    generate: Generator  # set as staticmethod(generate)
    as_of: str

    @pytest.fixture(scope="class")
    def scored(self, tmp_path_factory):
        return run_and_score(self.generate, tmp_path_factory.mktemp("unseen"), 1, 1500,
                             self.as_of)

    def test_every_generated_file_is_ingested(self, scored):
        summary, _ = scored
        assert " 0 quarantined" in summary, summary

    def test_match_quality_bar(self, scored):
        assert_match_bar(scored[1])

    def test_cause_quality_bar(self, scored):
        assert_cause_bar(scored[1])

    @pytest.mark.slow
    @pytest.mark.parametrize("seed", [1, 2])
    def test_quality_bar_at_ten_thousand_bank_lines(self, tmp_path, seed):
        _, result = run_and_score(self.generate, tmp_path, seed, 10_000, self.as_of)
        assert_match_bar(result)
        assert_cause_bar(result)
