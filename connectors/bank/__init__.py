"""Bank statement connectors: camt.053/.054, MT940 and BAI2 read into ``bank_transaction`` rows.

Each reader proves its output (:mod:`connectors.bank.proof`). Entries read must match an
independent count of the raw text (``<Ntry>``, ``:61:``, BAI2 ``16``) and every stated count and
control total, else the file is rejected: records were lost. With the count proved, the file's
own inconsistencies (a balance that does not add up, a missing one) are accepted, listed in
``control["problems"]`` with ``balance_proved`` False. ``on_balance_mismatch="reject"`` is strict.
"""
