"""End to end on an enterprise recon has never seen (tests/unseen: written from SPEC only, with its
own truth and scorer), through the command line as a client would: run, export, score.

The figures are the SPEC quality bar. A failure here names matcher weaknesses, not a broken test:
``python -m tests.unseen.score`` prints the worst offenders with their refs.
"""

from __future__ import annotations

from tests.unseen.enterprise import generate
from tests.unseen.suite import Unseen


class TestUnseenEnterprise(Unseen):
    generate = staticmethod(generate)
    as_of = "2025-11-28"
