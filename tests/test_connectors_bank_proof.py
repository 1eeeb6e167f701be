"""Statement proofs: what passes, what is rejected, what is flagged, and the figures shown."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.bank.proof import Proofs, StatementProof
from connectors.base import RejectedFile


def statement(opening="100.00", closing="150.00", amounts=("50.00",)) -> StatementProof:
    proof = StatementProof("2016-05-31-001", opening=Decimal(opening) if opening else None,
                           closing=Decimal(closing) if closing else None, closing_date="2016-05-31")
    for amount in amounts:
        proof.add(Decimal(amount), value_date="2016-05-31")
    return proof


def test_balanced_statement_is_proved():
    proof = statement()
    Proofs("f").balance(proof)
    assert proof.balance == "proved"
    assert proof.summary()["movements"] == "50.00"


def test_mismatch_message_has_the_figures():
    with pytest.raises(RejectedFile) as err:
        Proofs("f.xml", "reject").balance(statement(closing="140.00"))
    assert str(err.value) == (
        "f.xml (record statement 2016-05-31-001): statement 2016-05-31-001: opening 100.00 + "
        "movements 50.00 = 150.00 but closing balance is 140.00")


def test_mismatch_is_recorded_when_flagged():
    proofs, proof = Proofs("f", "flag"), statement(closing="140.00")
    proofs.balance(proof)
    assert proof.balance.startswith("MISMATCH") and len(proofs.problems) == 1


def test_statement_without_balances_is_not_provable():
    proof = statement(opening=None)
    Proofs("f").balance(proof, "a notification carries no balances")
    assert proof.balance == "not provable: a notification carries no balances"
    other = statement(closing=None)
    Proofs("f").balance(other)
    assert other.balance == "not provable: no closing balance"


def test_pending_entries_and_sides_are_counted():
    proof = StatementProof("s")
    proof.add(Decimal("5"), booked=False)
    proof.add(Decimal("-2"))
    proof.add(Decimal("0"), credit=False)
    assert proof.movements == Decimal("-2") and proof.entries == 3
    assert proof.credits == (1, Decimal("5")) and proof.debits == (2, Decimal("2"))


def test_counts_reject_and_are_recorded():
    proof = StatementProof("s")
    Proofs("f").count(proof, "TtlNtries/NbOfNtries", 2, 2)
    assert proof.checks == ["TtlNtries/NbOfNtries = 2"]
    with pytest.raises(RejectedFile, match="file states 3 but 2 were read"):
        Proofs("f", "flag").count(proof, "TtlNtries/NbOfNtries", 3, 2)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="on_balance_mismatch"):
        Proofs("f", "ignore")


def test_mismatch_is_listed_when_the_count_is_proved():
    proofs, proof = Proofs("f"), statement(closing="140.00")
    proofs.balance(proof)
    proofs.entries_counted(":61: statement lines", 1, 1)
    control = proofs.close([proof])
    assert control == {"balance_proved": False, "entries_counted": "1 :61: statement lines",
                       "problems": [proof.balance.removeprefix("MISMATCH: ")]}


def test_mismatch_without_a_count_proof_is_rejected():
    proofs, proof = Proofs("f"), statement(closing="140.00")
    proofs.balance(proof)
    with pytest.raises(RejectedFile, match="no independent count of the file's entries"):
        proofs.close([proof])


def test_raw_count_that_differs_is_a_loss_whatever_the_policy():
    for policy in ("counted", "reject", "flag"):
        with pytest.raises(RejectedFile, match="holds 39 :61: statement lines but 10 entries"):
            Proofs("f", policy).entries_counted(":61: statement lines", 39, 10)


def test_balance_proved_is_none_when_the_format_has_no_balances():
    proofs, proof = Proofs("f"), statement(opening=None, closing=None)
    proofs.balance(proof, "a notification carries no balances")
    assert proofs.close([proof])["balance_proved"] is None


def test_strict_policy_reads_nothing_leniently():
    with pytest.raises(RejectedFile, match="no closing balance"):
        Proofs("f", "reject").balance(statement(closing=None))
