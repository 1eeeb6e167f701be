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

from tests.unseen.enterprise_b import generate
from tests.unseen.suite import Unseen


class TestUnseenEnterpriseB(Unseen):
    generate = staticmethod(generate)
    as_of = "2026-01-15"
