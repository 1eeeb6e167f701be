"""Rule and cause behaviour on small hand-made ledgers (bank_to_ledger)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jobs import warehouse
from jobs.matching.lifecycle import persist
from jobs.matching.run import match
from jobs.settings import Settings
from tests.rows import balanced, bank, erp, load, reference

AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def con(tmp_path):
    c = warehouse.connect(tmp_path)
    reference(c)
    yield c
    c.close()


@pytest.fixture
def settings(tmp_path):
    return Settings.load(home=tmp_path)


def outcome(con, settings, as_of=AS_OF) -> dict[str, tuple]:
    """source_ref → ('match', rule, match key) or ('exception', cause, sub_cause, counterpart)."""
    match(con, settings, as_of)
    result = {}
    for ref, rule, match_id in con.execute(
            "SELECT source_ref, rule, match_id FROM recon__groups").fetchall():
        result[ref] = ("match", rule, match_id)
    for ref, cause, sub, other in con.execute(
            "SELECT n.source_ref, cause, sub_cause, o.source_ref FROM recon__exc_now n "
            "LEFT JOIN recon__records o ON o.record_id = n.other_id").fetchall():
        assert ref not in result, f"{ref} both matched and an exception"
        result[ref] = ("exception", cause, sub, other)
    return result


def test_exact_reference_and_reference_in_text(con, settings):
    load(con, "bank_transaction", [
        bank("B1", "100.00", "2026-01-20", e2e="PAY-0001"),
        bank("B2", "250.00", "2026-01-21", e2e="NOTPROVIDED",
             text="RE: payment inv de01 004711 thank you"),
    ])
    load(con, "ledger_line", balanced(erp("D1", "100.00", "2026-01-20", ref="PAY-0001"))
         + balanced(erp("D2", "250.00", "2026-01-22", ref="INV-DE01-004711")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/D1/1"][2] == got["B1"][2]
    assert got["B2"][:2] == ("match", "reference_in_text")
    assert got["DE01/2026/D2/1"][2] == got["B2"][2]


def test_two_invoices_under_one_number_pair_once_the_other_rules_settled_one(con, settings):
    """Two payments name FV/5115/01/2026, which two ledger lines carry: by the text each has
    two candidates and none is paired. A later rule settles the full payment by its amount; the
    part payment is then left naming one open line, and is that line's (a partial payment),
    not two missing counterparts."""
    load(con, "bank_transaction", [
        bank("B1", "2920.73", "2026-01-12", text="FAKTURA FV/5115/01/2026", name="KAMINSKI SERWIS"),
        bank("B2", "560.00", "2026-01-14", text="FAKTURA FV/5115/01/2026", name="KAMINSKI SERWIS"),
    ])
    load(con, "ledger_line",
         balanced(erp("D1", "2920.73", "2026-01-12", ref="FV/5115/01/2026",
                      text="Kaminski Serwis Sp. z o.o."))
         + balanced(erp("D2", "800.00", "2026-01-14", ref="FV/5115/01/2026",
                        text="Zahlungsavis")))
    got = outcome(con, settings)
    assert got["B1"][0] == "match" and got["DE01/2026/D1/1"][2] == got["B1"][2]
    assert got["B2"] == ("exception", "amount_variance", "partial_payment", "DE01/2026/D2/1")
    assert got["DE01/2026/D2/1"][:4] == ("exception", "amount_variance", "partial_payment", "B2")


def test_batch_payment_settles_several_invoices(con, settings):
    load(con, "bank_transaction", [bank("B1", "600.00", "2026-01-20",
                                        text="INV-1001 INV-1002 INV-1003")])
    lines = []
    for i, amt in enumerate(["100.00", "200.00", "300.00"], start=1):
        lines += balanced(erp(f"D{i}", amt, "2026-01-19", ref=f"INV-100{i}"))
    load(con, "ledger_line", lines)
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "batch_payment")
    assert {got[f"DE01/2026/D{i}/1"][2] for i in (1, 2, 3)} == {got["B1"][2]}


def test_fuzzy_name_best_candidate_only_and_ties_become_exceptions(con, settings):
    load(con, "bank_transaction", [
        bank("B1", "75.30", "2026-01-20", name="ACME GMBH"),
        bank("B2", "40.00", "2026-01-20", name="Globex Corp"),
    ])
    load(con, "ledger_line",
         balanced(erp("D1", "75.30", "2026-01-22", text="Acme GmbH"))
         + balanced(erp("D2", "40.00", "2026-01-20", text="Globex Corporation"))
         + balanced(erp("D3", "40.00", "2026-01-21", text="Globex Corporation")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "fuzzy_name")
    assert got["B2"][0] == "exception"  # two equally good candidates: no guess
    candidates = con.execute("SELECT candidates FROM recon__exc_now WHERE source_ref = 'B2'").fetchone()[0]
    assert len(candidates) == 2


def test_a_number_both_texts_carry_outranks_a_name(con, settings):
    """One customer pays 80.00 on account of order 167605 and 80.00 for an invoice whose
    number it mistyped, a day apart. By name alone each payment has the invoice line as a
    candidate, so neither was paired; the order number both the payment and the on-account
    line carry settles that pair, and the invoice line is then the other payment's only one."""
    load(con, "bank_transaction", [
        bank("B1", "80.00", "2026-01-27", text="ANZAHLUNG AUFTRAG 167605", name="Schmidt & Sohne KG"),
        bank("B2", "80.00", "2026-01-28", text="RE 90016957", name="Schmidt & Sohne KG"),
    ])
    load(con, "ledger_line",
         balanced(erp("D1", "80.00", "2026-01-27", text="Anzahlung Akonto Auftr. 167605"))
         + balanced(erp("D2", "80.00", "2026-01-28", ref="90016597",
                        text="Zahlung Schmidt & Söhne KG")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "fuzzy_name")
    assert got["DE01/2026/D1/1"][2] == got["B1"][2]
    assert got["B2"][:2] == ("match", "fuzzy_name")
    assert got["DE01/2026/D2/1"][2] == got["B2"][2]


def test_amount_variance_sub_causes(con, settings):
    load(con, "bank_transaction", [
        bank("B1", "985.00", "2026-01-20", e2e="INV-1", charges_amount="15.00"),
        bank("B2", "400.00", "2026-01-20", e2e="INV-2"),
        bank("B3", "1100.00", "2026-01-20", e2e="INV-3"),
        bank("B4", "500.01", "2026-01-20", e2e="INV-4"),
        bank("B5", "413.57", "2026-01-20", e2e="INV-5"),  # a flat 35.00 deducted
    ])
    load(con, "ledger_line", balanced(erp("D1", "1000.00", "2026-01-20", ref="INV-1"))
         + balanced(erp("D2", "1000.00", "2026-01-20", ref="INV-2"))
         + balanced(erp("D3", "1000.00", "2026-01-20", ref="INV-3"))
         + balanced(erp("D4", "500.00", "2026-01-20", ref="INV-4"))
         + balanced(erp("D5", "448.57", "2026-01-20", ref="INV-5")))
    got = outcome(con, settings)
    assert got["B1"] == ("exception", "amount_variance", "bank_fee", "DE01/2026/D1/1")
    assert got["DE01/2026/D1/1"][:3] == ("exception", "amount_variance", "bank_fee")
    assert got["B2"][:3] == ("exception", "amount_variance", "partial_payment")
    assert got["B3"][:3] == ("exception", "amount_variance", "overpayment")
    assert got["B4"][:2] == ("match", "amount_tolerance")
    assert got["B5"][:3] == ("exception", "amount_variance", "bank_fee")


def test_references_swapped_between_two_payments_pair_each_with_its_amount(con, settings):
    """A transposed digit turned 004711 into 004171, another invoice's number, on one payment,
    and the reverse on another: each pays exactly what the line the other names is for, so
    each is that line's, not two variances. Not so when a third payment fits the same way
    (a guess between two), nor when the amounts are the same digits in another order (each
    may have named its own invoice and slipped on the amount)."""
    load(con, "bank_transaction", [
        bank("B1", "100.00", "2026-01-20", text="INVOICE INV-DE01-004171"),
        bank("B2", "250.00", "2026-01-21", text="INVOICE INV-DE01-004711"),
        bank("B3", "80.00", "2026-01-21", e2e="INV-1780"),
        bank("B4", "60.00", "2026-01-22", e2e="INV-1870"),
        bank("B5", "80.00", "2026-01-22", e2e="INV-1807"),
        bank("B6", "124.50", "2026-01-22", e2e="INV-DE01-000610"),
        bank("B7", "142.50", "2026-01-23", e2e="INV-DE01-000601"),
    ])
    load(con, "ledger_line",
         balanced(erp("D1", "100.00", "2026-01-20", ref="INV-DE01-004711"))
         + balanced(erp("D2", "250.00", "2026-01-20", ref="INV-DE01-004171"))
         + balanced(erp("D7", "60.00", "2026-01-20", ref="INV-1780"))
         + balanced(erp("D8", "80.00", "2026-01-20", ref="INV-1870"))
         + balanced(erp("D9", "60.00", "2026-01-20", ref="INV-1807"))
         + balanced(erp("D10", "142.50", "2026-01-20", ref="INV-DE01-000610"))
         + balanced(erp("D11", "124.50", "2026-01-20", ref="INV-DE01-000601")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "reference_swapped")
    assert got["DE01/2026/D1/1"][2] == got["B1"][2]
    assert got["B2"][:2] == ("match", "reference_swapped")
    assert got["DE01/2026/D2/1"][2] == got["B2"][2]
    for b in ("B3", "B4", "B5"):
        assert got[b][:2] == ("exception", "amount_variance")
    assert got["B6"] == ("exception", "amount_variance", "other", "DE01/2026/D10/1")
    assert got["B7"] == ("exception", "amount_variance", "other", "DE01/2026/D11/1")


def test_payment_in_another_currency_compared_after_fx(con, settings):
    """The ERP books a USD invoice's payment on the EUR bank account in USD: compared at the
    posting date's rate, inside the band a match, beyond it an fx_difference."""
    con.execute("INSERT INTO fx_rate VALUES ('2026-01-15', 'USD', 'EUR', 0.90)")
    load(con, "bank_transaction", [
        bank("B1", "893.00", "2026-01-20", e2e="INV-7"),   # 1000 USD = 900 EUR, -0.8 %
        bank("B2", "850.00", "2026-01-20", e2e="INV-8"),   # -5.6 %: beyond the 2 % band
    ])
    load(con, "ledger_line",
         balanced(erp("D7", "1000.00", "2026-01-19", ref="INV-7", currency="USD"))
         + balanced(erp("D8", "1000.00", "2026-01-19", ref="INV-8", currency="USD")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "fx_tolerance")
    assert got["DE01/2026/D7/1"][2] == got["B1"][2]
    assert got["B2"] == ("exception", "amount_variance", "fx_difference", "DE01/2026/D8/1")


def test_timing_vs_missing_by_settlement_window(con, settings):
    load(con, "bank_transaction", [bank("B1", "10.00", "2026-01-29"),
                                   bank("B2", "20.00", "2026-01-10")])
    got = outcome(con, settings)
    assert got["B1"][1] == "timing_difference"
    assert got["B2"][1] == "missing_counterpart"


def test_defect_excluded_and_duplicate_submission(con, settings):
    load(con, "bank_transaction", [bank("B1", "10.00", "2026-01-29", e2e="R-1"),
                                   bank("B2", "30.00", "2026-01-29", e2e="R-2")])
    load(con, "ledger_line",
         balanced(erp("D1", "10.00", "2026-01-29", ref="R-1", currency="EU"))
         + balanced(erp("D2", "30.00", "2026-01-29", ref="R-2"))
         + balanced(erp("D3", "30.00", "2026-01-29", ref="R-2")))
    got = outcome(con, settings)
    assert got["DE01/2026/D1/1"][1] == "source_system_defect"
    assert got["B1"][1] == "timing_difference"  # its counterpart is excluded, not matched
    assert got["B2"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/D2/1"][0] == "match"
    assert got["DE01/2026/D3/1"][:2] == ("exception", "duplicate_submission")


def test_every_later_copy_points_at_the_first_submission(con, settings):
    """Copies are numbered by document; a line differing in date or amount is no copy."""
    load(con, "bank_transaction", [bank("B1", "40.00", "2026-01-29", e2e="R-3")])
    load(con, "ledger_line",
         balanced(erp("D7", "40.00", "2026-01-29", ref="R-3"))
         + balanced(erp("D5", "40.00", "2026-01-29", ref="R-3"))
         + balanced(erp("D6", "40.00", "2026-01-29", ref="R-3"))
         + balanced(erp("D8", "40.00", "2026-01-28", ref="R-3"))
         + balanced(erp("D9", "41.00", "2026-01-29", ref="R-3")))
    got = outcome(con, settings)
    for copy in ("D6", "D7"):
        assert got[f"DE01/2026/{copy}/1"] == ("exception", "duplicate_submission", None,
                                              "DE01/2026/D5/1")
    for other in ("D5", "D8", "D9"):
        assert got[f"DE01/2026/{other}/1"][1] != "duplicate_submission"


def test_unbalanced_document_is_a_defect(con, settings):
    load(con, "bank_transaction", [bank("B1", "10.00", "2026-01-29", e2e="R-1")])
    load(con, "ledger_line", [erp("D1", "10.00", "2026-01-29", ref="R-1")])
    got = outcome(con, settings)
    assert got["DE01/2026/D1/1"][1] == "source_system_defect"


def test_unmapped_bank_account_is_a_mapping_error(con, settings):
    load(con, "bank_transaction", [bank("B1", "10.00", "2026-01-29", e2e="R-1", account="XX999")])
    load(con, "ledger_line", balanced(erp("D1", "10.00", "2026-01-29", gl="113999", ref="R-1")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("exception", "mapping_error")
    assert got["DE01/2026/D1/1"][:2] == ("exception", "mapping_error")


def test_lifecycle_auto_resolves_and_keeps_first_seen(con, settings):
    load(con, "bank_transaction", [bank("B1", "10.00", "2026-01-28", e2e="R-1")])
    match(con, settings, AS_OF)
    persist(con, "run1", AS_OF)
    first = con.execute("SELECT exception_id, cause, first_seen FROM exception").fetchall()
    assert first[0][1] == "timing_difference" and first[0][2] == dt.date(2026, 1, 28)
    later = AS_OF + dt.timedelta(days=10)
    match(con, settings, later)
    persist(con, "run2", later)
    again = con.execute("SELECT exception_id, cause, first_seen FROM exception").fetchall()
    assert again == [(first[0][0], "missing_counterpart", dt.date(2026, 1, 28))]
    load(con, "ledger_line", balanced(erp("D1", "10.00", "2026-02-09", ref="R-1")))
    match(con, settings, later)
    persist(con, "run3", later)
    status, by = con.execute("SELECT status, resolved_by_match FROM exception").fetchone()
    assert status == "auto_resolved" and by.startswith("m_")


@pytest.mark.parametrize("bank_name, erp_text", [
    ("Willems Elektrotechn. Noord B.V.", "Ontvangst Willems Elektrotechniek Noord B.V."),
    ("Schroeder AnlagenbauNoord GmbH", "Ontvangst Schröder Anlagenbau Noord GmbH"),
    ("MEYER-MUELLER LOGISTIK KG", "Meyer-Müller Logistik KG"),
])
def test_counterparty_names_alike_despite_abbreviations_and_lost_spaces(bank_name, erp_text):
    from jobs.matching.run import name_similarity

    assert name_similarity(bank_name, erp_text) >= 85


@pytest.mark.parametrize("bank_name, erp_text", [
    ("Mueller GmbH", "Meyer Logistik GmbH"),
    ("Bauer Bay Handelsgesellschaft SE", "Bauermann Handel AG"),
    ("Elektro. Bauer GmbH", "Ontvangst Elektrotechnik Schmidt GmbH"),
])
def test_different_counterparties_stay_apart(bank_name, erp_text):
    from jobs.matching.run import name_similarity

    assert name_similarity(bank_name, erp_text) < 85


def test_batch_entry_split_by_the_bank_matches_the_one_erp_line_of_its_amount(con, settings):
    """A direct-debit collection: the bank lists 2 debtors, the ERP booked one line for it."""
    load(con, "bank_transaction", [
        bank("E1/1", "60.00", "2026-01-20", entry_seq=7, detail_seq=1, detail_count=2,
             entry_amount=Decimal("100.00"), statement_id="S1"),
        bank("E1/2", "40.00", "2026-01-20", entry_seq=7, detail_seq=2, detail_count=2,
             entry_amount=Decimal("100.00"), statement_id="S1"),
        bank("E2/1", "30.00", "2026-01-20", entry_seq=8, detail_seq=1, detail_count=2,
             entry_amount=Decimal("50.00"), statement_id="S1"),
        bank("E2/2", "20.00", "2026-01-20", entry_seq=8, detail_seq=2, detail_count=2,
             entry_amount=Decimal("50.00"), statement_id="S1"),
    ])
    load(con, "ledger_line", balanced(erp("C1", "100.00", "2026-01-21", ref="DD-COLL-7"))
         + balanced(erp("C2", "50.00", "2026-01-21", ref="DD-COLL-8"))
         + balanced(erp("C3", "50.00", "2026-01-22", ref="DD-COLL-9")))
    got = outcome(con, settings)
    assert got["E1/1"][:2] == ("match", "batch_payment")
    assert got["E1/2"][2] == got["DE01/2026/C1/1"][2] == got["E1/1"][2]
    # two ERP lines of 50.00 in the window: not a guess
    assert got["E2/1"][0] == got["E2/2"][0] == got["DE01/2026/C2/1"][0] == "exception"


def test_payment_run_in_two_debits_each_with_the_subset_of_its_lines(con, settings):
    """F110 run R-1 paid in two debits that both name the run; its five lines carry the run id.
    Each debit takes the one subset of the run's lines adding up to it."""
    load(con, "bank_transaction", [
        bank("D1", "-12054.10", "2026-01-20", text="BACS F110-20260120-DE01-8"),
        bank("D2", "-8957.53", "2026-01-20", text="BACS F110-20260120-DE01-8")])
    lines = []
    for i, amt in enumerate(["-706.69", "-7318.41", "-4029.00", "-227.04", "-8730.49"], start=1):
        lines += balanced(erp(f"P{i}", amt, "2026-01-20", assignment="F110-20260120-DE01-8"))
    load(con, "ledger_line", lines)
    got = outcome(con, settings)
    assert got["D1"][:2] == ("match", "batch_payment")
    assert {got[f"DE01/2026/P{i}/1"][2] for i in (1, 2, 3)} == {got["D1"][2]}
    assert got["D2"][:2] == ("match", "batch_payment")
    assert {got[f"DE01/2026/P{i}/1"][2] for i in (4, 5)} == {got["D2"][2]}


def test_debit_two_subsets_of_the_run_add_up_to_stays_an_exception(con, settings):
    load(con, "bank_transaction", [bank("D1", "-300.00", "2026-01-20", text="RUN F110-X-77")])
    lines = []
    for i, amt in enumerate(["-100.00", "-200.00", "-300.00", "-50.00"], start=1):
        lines += balanced(erp(f"Q{i}", amt, "2026-01-20", assignment="F110-X-77"))
    load(con, "ledger_line", lines)
    got = outcome(con, settings)  # 100 + 200 and 300 alone: never guess
    assert got["D1"][0] == "exception"
    assert all(got[f"DE01/2026/Q{i}/1"][0] == "exception" for i in (1, 2, 3, 4))


@pytest.mark.parametrize("named_in", ["e2e", "text"])
def test_line_its_own_payment_names_is_not_taken_by_the_run_debit(con, settings, named_in):
    """A line paid on its own (its document number as end-to-end id, or in the text) that also
    carries the run id: it is its own payment's, and the run's debit balances without it."""
    def naming(ref: str) -> dict:
        return {"e2e": ref} if named_in == "e2e" else {"text": f"BACS ACME GMBH REF {ref}"}
    load(con, "bank_transaction", [
        bank("S1", "-40.00", "2026-01-20", **naming("2000000001")),
        bank("D1", "-105.00", "2026-01-20", **naming("F110-RUN-2"))])
    load(con, "ledger_line",
         balanced(erp("2000000001", "-40.00", "2026-01-20", assignment="F110-RUN-2"))
         + balanced(erp("2000000002", "-60.00", "2026-01-20", assignment="F110-RUN-2"))
         + balanced(erp("2000000003", "-45.00", "2026-01-20", assignment="F110-RUN-2")))
    got = outcome(con, settings)
    rule = "exact_reference" if named_in == "e2e" else "reference_in_text"
    assert got["S1"][:2] == ("match", rule)
    assert got["DE01/2026/2000000001/1"][2] == got["S1"][2]
    assert got["D1"][:2] == ("match", "batch_payment")
    assert {got[f"DE01/2026/{d}/1"][2] for d in ("2000000002", "2000000003")} == {got["D1"][2]}


def test_payment_booked_as_one_document_with_a_bank_line_per_invoice(con, settings):
    """The customer names the first invoice only; the ERP cleared three invoices with one
    bank-account line each in one document: the payment is the whole document, not an
    overpayment of the first."""
    load(con, "bank_transaction", [bank("B1", "1308935.00", "2026-01-20",
                                        name="92000017 SAKURA SHOJI")])
    load(con, "ledger_line", [
        erp("1400000902", "308988.00", "2026-01-21", line=1, assignment="0092000017"),
        erp("1400000902", "604112.00", "2026-01-21", line=2, assignment="0092000020"),
        erp("1400000902", "395835.00", "2026-01-21", line=3, assignment="0092000021"),
        erp("1400000902", "-1308935.00", "2026-01-21", line=4, gl="140000",
            account_type="D", customer="C100")])
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "batch_payment")
    assert {got[f"DE01/2026/1400000902/{i}"][2] for i in (1, 2, 3)} == {got["B1"][2]}


def test_fee_the_erp_booked_apart_completes_the_group(con, settings):
    """An international transfer credited net of a 35.00 charge; the ERP booked the gross
    receipt and, days later, the fee on its own (citing the bank's reference). A second fee of
    35.00 in the window does not cite this payment."""
    load(con, "bank_transaction", [
        bank("20251229A100000735", "4161.62", "2025-12-29", text="RE 90000734 WEBER STAHLBAU",
             charges_amount=Decimal("35.00"), instructed_amount=Decimal("4196.62"),
             instructed_currency="EUR")])
    load(con, "ledger_line",
         balanced(erp("1400000074", "4196.62", "2025-12-29", ref="90000734"))
         + balanced(erp("1000000001", "-35.00", "2025-12-31",
                        text="Fremdspesen Ausl.-Zahlung 00000735"))
         + balanced(erp("1000000004", "-35.00", "2025-12-29",
                        text="Fremdspesen Ausl.-Zahlung 00001750")))
    got = outcome(con, settings, as_of=dt.date(2026, 1, 2))
    assert got["20251229A100000735"][:2] == ("match", "fee_booked_apart")
    group = got["20251229A100000735"][2]
    assert got["DE01/2026/1400000074/1"][2] == got["DE01/2026/1000000001/1"][2] == group
    assert got["DE01/2026/1000000004/1"][0] == "exception"


def test_number_both_texts_carry_pairs_a_payment_on_account(con, settings):
    """The ERP's bank line names nobody ('Anzahlung Akonto Auftr. 630124'); the payer's text
    carries the same order number, amount and day."""
    load(con, "bank_transaction", [bank("B1", "1943.11", "2026-01-20", name="Ridgeway Controls",
                                        text="ANZAHLUNG AUFTRAG 630124")])
    load(con, "ledger_line", balanced(erp("A1", "1943.11", "2026-01-20",
                                          text="Anzahlung Akonto Auftr. 630124")))
    got = outcome(con, settings)
    assert got["B1"][:2] == ("match", "fuzzy_name")
    assert got["DE01/2026/A1/1"][2] == got["B1"][2]


def test_nameless_charge_against_the_one_ledger_fee_of_its_amount(con, settings):
    """A monthly account fee, in another language on each side; one candidate each way."""
    load(con, "bank_transaction", [
        bank("F1", "-39.00", "2025-12-31", text="KONTOFUEHRUNGSGEBUEHR"),
        bank("F2", "-12.00", "2025-12-31", text="KONTOFUEHRUNGSGEBUEHR")])
    load(con, "ledger_line",
         balanced(erp("G1", "-39.00", "2026-01-05", text="Bankgebuehren 12/2025"))
         + balanced(erp("G2", "-12.00", "2026-01-02", text="Bankgebuehren"))
         + balanced(erp("G3", "-12.00", "2026-01-03", text="Bankgebuehren")))
    got = outcome(con, settings, as_of=dt.date(2026, 1, 6))
    assert got["F1"][:2] == ("match", "fuzzy_name")
    assert got["DE01/2026/G1/1"][2] == got["F1"][2]
    assert got["F2"][0] == "exception"  # two ledger fees of 12.00: not a guess
