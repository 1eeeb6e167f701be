"""billing_to_ledger, procure_to_pay and intercompany rules on hand-made data."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs import warehouse
from jobs.settings import Settings
from tests.rows import (
    balanced,
    bank,
    billing,
    erp,
    load,
    purchase_order,
    receipt,
    reference,
    supplier_invoice,
)
from tests.test_jobs_matching_rules import outcome

AS_OF = dt.date(2026, 1, 31)


@pytest.fixture
def con(tmp_path):
    c = warehouse.connect(tmp_path)
    reference(c)
    c.execute("INSERT INTO counterparty VALUES ('customer', 'cus_1', 'C100', 'Acme', 'DE01'), "
              "('customer', 'cus_2', 'C200', 'Globex', 'DE01'), "
              "('vendor', 'SUP1', 'V900', 'Initech', 'DE01')")
    c.execute("INSERT INTO fx_rate VALUES ('2026-01-15', 'EUR', 'USD', 1.10)")
    yield c
    c.close()


@pytest.fixture
def settings(tmp_path):
    return Settings.load(home=tmp_path)


def test_charge_to_customer_line_and_mapping_error(con, settings):
    load(con, "billing_event", [
        billing("in_1", "invoice", "0", "2026-01-20", invoice_number="A1-0001"),
        billing("in_2", "invoice", "0", "2026-01-20", invoice_number="A1-0002"),
        billing("ch_1", "charge", "50.00", "2026-01-20", invoice_id="in_1", customer_id="cus_1"),
        billing("ch_2", "charge", "70.00", "2026-01-20", invoice_id="in_2", customer_id="cus_2"),
    ])
    load(con, "ledger_line",
         balanced(erp("D1", "-50.00", "2026-01-21", gl="120000", account_type="D",
                      customer="C100", ref="A1-0001"))
         + balanced(erp("D2", "-70.00", "2026-01-21", gl="120000", account_type="D",
                        customer="C100", ref="A1-0002")))
    got = outcome(con, settings)
    assert got["ch_1"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/D1/1"][2] == got["ch_1"][2]
    assert got["ch_2"][:2] == ("exception", "mapping_error")
    assert got["DE01/2026/D2/1"][:2] == ("exception", "mapping_error")


def test_charge_by_its_own_id_and_by_customer_and_amount(con, settings):
    """A charge without a Stripe invoice: the cash application names the charge id, or names
    nothing and only the mapped customer, the amount and the date say which line it is."""
    load(con, "billing_event", [
        billing("ch_3AbC", "charge", "80.00", "2026-01-20", customer_id="cus_1"),
        billing("ch_3DeF", "charge", "45.10", "2026-01-20", customer_id="cus_1"),
        billing("ch_3GhI", "charge", "12.00", "2026-01-20", customer_id="cus_1"),
        billing("ch_3JkL", "charge", "12.00", "2026-01-21", customer_id="cus_1"),
    ])
    customer = {"gl": "120000", "account_type": "D", "customer": "C100"}
    load(con, "ledger_line",
         balanced(erp("D1", "-80.00", "2026-01-21", assignment="ch_3AbC", **customer))
         + balanced(erp("D2", "-45.10", "2026-01-22", **customer))
         + balanced(erp("D3", "-12.00", "2026-01-21", **customer)))
    got = outcome(con, settings)
    assert got["ch_3AbC"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/D1/1"][2] == got["ch_3AbC"][2]
    assert got["ch_3DeF"][:2] == ("match", "customer_amount")
    assert got["DE01/2026/D2/1"][2] == got["ch_3DeF"][2]
    # two charges of 12.00 for one line of 12.00: not a guess
    assert got["ch_3GhI"][0] == got["ch_3JkL"][0] == got["DE01/2026/D3/1"][0] == "exception"


def test_refund_takes_its_own_line_not_the_invoice_it_refunds(con, settings):
    """The invoice number is on the invoice line, the payment and the refund: a full refund has
    the invoice's amount too, so the date decides; a refund not yet booked stays open."""
    load(con, "billing_event", [
        billing("in_1", "invoice", "0", "2026-01-02", invoice_number="A1-0001"),
        billing("ch_1", "charge", "50.00", "2026-01-03", invoice_id="in_1", customer_id="cus_1"),
        billing("re_1", "refund", "-50.00", "2026-01-20", charge_id="ch_1"),
        billing("in_2", "invoice", "0", "2026-01-02", invoice_number="A1-0002"),
        billing("ch_2", "charge", "30.00", "2026-01-03", invoice_id="in_2", customer_id="cus_1"),
        billing("re_2", "refund", "-30.00", "2026-01-28", charge_id="ch_2"),
    ])
    customer = {"gl": "120000", "account_type": "D", "customer": "C100"}
    load(con, "ledger_line",
         balanced(erp("I1", "50.00", "2026-01-02", ref="A1-0001", **customer))
         + balanced(erp("P1", "-50.00", "2026-01-04", ref="A1-0001", **customer))
         + balanced(erp("R1", "50.00", "2026-01-21", ref="A1-0001", **customer))
         + balanced(erp("I2", "30.00", "2026-01-02", ref="A1-0002", **customer))
         + balanced(erp("P2", "-30.00", "2026-01-04", ref="A1-0002", **customer))
         + balanced(erp("I3", "40.00", "2026-01-25", **customer))
         + balanced(erp("P3", "-40.00", "2026-01-26", ref="ch_3", **customer)))
    load(con, "billing_event", [
        billing("ch_3", "charge", "40.00", "2026-01-25", customer_id="cus_1"),
        billing("re_3", "refund", "-40.00", "2026-01-29", charge_id="ch_3")])
    got = outcome(con, settings)
    assert got["re_1"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/R1/1"][2] == got["re_1"][2]
    assert got["ch_1"][2] == got["DE01/2026/P1/1"][2]
    assert got["re_2"][0] == "exception"  # never the invoice line I2 of 30.00
    assert got["DE01/2026/I2/1"][0] == "exception"
    # nor, by customer and amount, an invoice line of the refunded amount days before it
    assert got["ch_3"][2] == got["DE01/2026/P3/1"][2]
    assert got["re_3"][:2] == ("exception", "timing_difference")
    assert got["DE01/2026/I3/1"][0] == "exception"


def _invoice_paid_refunded(n: int, amount: str, days: tuple[str, str, str],
                           hours: tuple[int, int, int] | None = None) -> list[dict]:
    """Customer lines I<n>, P<n>, R<n> under invoice number A1-000<n>: the invoice, its payment
    and its refund, booked on ``days`` (entered at ``hours`` of those days, if given)."""
    lines = []
    for i, (doc, sign, day) in enumerate(zip("IPR", ("", "-", ""), days, strict=True)):
        entered = ({"entry_timestamp": dt.datetime.fromisoformat(f"{day}T{hours[i]:02}:00+00:00")}
                   if hours else {})
        lines += balanced(erp(f"{doc}{n}", sign + amount, day, ref=f"A1-000{n}", gl="120000",
                              account_type="D", customer="C100", **entered))
    return lines


def test_refund_the_day_after_its_invoice_takes_the_line_booked_after_it(con, settings):
    """The invoice line (the day before the refund, inside the time-zone slack) and the refund
    line both carry the invoice number and the amount: the one on or after the refund is it."""
    load(con, "billing_event", [
        billing("in_4", "invoice", "0", "2026-01-09", invoice_number="A1-0004"),
        billing("ch_4", "charge", "70.00", "2026-01-09", invoice_id="in_4", customer_id="cus_1"),
        billing("re_4", "refund", "-70.00", "2026-01-10", charge_id="ch_4")])
    load(con, "ledger_line",
         _invoice_paid_refunded(4, "70.00", ("2026-01-09", "2026-01-09", "2026-01-12")))
    got = outcome(con, settings)
    assert got["re_4"][:2] == ("match", "exact_reference")
    assert got["DE01/2026/R4/1"][2] == got["re_4"][2]
    assert got["DE01/2026/I4/1"][0] == "exception"


def test_refund_the_day_its_invoice_is_booked_takes_the_line_after_the_payment(con, settings):
    """Charged on the 10th, invoice line booked and refunded on the 11th, refund line on the
    13th: both debits are on or after the refund, and the refund gives back a payment, so the
    line no payment precedes is the invoice. Paid in the ERP on the 12th (5), or on the 11th
    after the invoice by entry time (7); paid on the 11th without entry times (6), the two
    lines are alike: a tie, not a guess."""
    refunds = []
    for n in (5, 6, 7):
        refunds += [
            billing(f"in_{n}", "invoice", "0", "2026-01-10", invoice_number=f"A1-000{n}"),
            billing(f"ch_{n}", "charge", f"6{n}.00", "2026-01-10", invoice_id=f"in_{n}",
                    customer_id="cus_1"),
            billing(f"re_{n}", "refund", f"-6{n}.00", "2026-01-11", charge_id=f"ch_{n}")]
    load(con, "billing_event", refunds)
    load(con, "ledger_line",
         _invoice_paid_refunded(5, "65.00", ("2026-01-11", "2026-01-12", "2026-01-13"))
         + _invoice_paid_refunded(6, "66.00", ("2026-01-11", "2026-01-11", "2026-01-13"))
         + _invoice_paid_refunded(7, "67.00", ("2026-01-11", "2026-01-11", "2026-01-13"),
                                  hours=(9, 15, 10)))
    got = outcome(con, settings)
    for n in (5, 7):
        assert got[f"re_{n}"][:2] == ("match", "exact_reference")
        assert got[f"DE01/2026/R{n}/1"][2] == got[f"re_{n}"][2]
        assert got[f"ch_{n}"][2] == got[f"DE01/2026/P{n}/1"][2]
        assert got[f"DE01/2026/I{n}/1"][0] == "exception"
    assert got["re_6"][0] == "exception"
    assert got["DE01/2026/I6/1"][0] == got["DE01/2026/R6/1"][0] == "exception"


def test_payout_bank_credit_and_erp_line(con, settings):
    load(con, "billing_event", [billing("po_1ABC", "payout", "970.00", "2026-01-20")])
    load(con, "bank_transaction", [bank("B1", "970.00", "2026-01-22",
                                        text="STRIPE PAYOUT po_1ABC", name="STRIPE")])
    load(con, "ledger_line", balanced(erp("D1", "970.00", "2026-01-22", ref="po_1ABC")))
    got = outcome(con, settings)
    assert got["po_1ABC"][:2] == ("match", "payout_net_of_fees")
    assert got["B1"][2] == got["DE01/2026/D1/1"][2] == got["po_1ABC"][2]


def test_payout_named_only_by_stripe_matches_by_amount_when_unique(con, settings):
    load(con, "billing_event", [billing("po_1XYZ", "payout", "5360.13", "2026-01-13"),
                                billing("po_1TWO", "payout", "100.00", "2026-01-13"),
                                billing("po_1TRE", "payout", "100.00", "2026-01-14")])
    load(con, "bank_transaction", [
        bank("B1", "5360.13", "2026-01-14", text="STRIPE PAYOUT", name="Stripe Technology"),
        bank("B2", "100.00", "2026-01-15", text="STRIPE PAYOUT", name="Stripe Technology"),
        bank("B3", "5360.13", "2026-01-14", text="Rent January", name="Acme Estates")])
    got = outcome(con, settings)
    assert got["po_1XYZ"][:2] == ("match", "payout_net_of_fees")
    assert got["B1"][2] == got["po_1XYZ"][2]
    assert got["B3"][0] == "exception"  # same amount, but not from Stripe
    assert got["B2"][0] == got["po_1TWO"][0] == got["po_1TRE"][0] == "exception"  # a tie


def test_three_way_match_and_po_change_not_synced(con, settings):
    load(con, "purchase_order", [purchase_order("PO1", 1, "500.00", "2026-01-02"),
                                 purchase_order("PO2", 1, "800.00", "2026-01-02"),
                                 purchase_order("PO2", 2, "900.00", "2026-01-05")])
    load(con, "receipt", [receipt("R1", "PO1", "5", "2026-01-06"), receipt("R2", "PO2", "9", "2026-01-07")])
    load(con, "supplier_invoice", [supplier_invoice("I1", "SI-1", "PO1", "500.00", "2026-01-08"),
                                   supplier_invoice("I2", "SI-2", "PO2", "900.00", "2026-01-08")])
    load(con, "ledger_line",
         balanced(erp("K1", "-500.00", "2026-01-09", gl="160000", account_type="K", vendor="V900",
                      purchase_order="PO1", ref="SI-1"))
         + balanced(erp("K2", "-800.00", "2026-01-09", gl="160000", account_type="K",
                        vendor="V900", purchase_order="PO2", ref="SI-2")))
    got = outcome(con, settings)
    assert got["PO1#v1"][:2] == ("match", "three_way_po")
    assert got["R1"][2] == got["I1"][2] == got["DE01/2026/K1/1"][2] == got["PO1#v1"][2]
    for ref in ("PO2#v2", "R2", "I2", "DE01/2026/K2/1"):
        assert got[ref][:2] == ("exception", "po_change_not_synced"), ref
    assert "PO2#v1" not in got  # superseded versions are not in scope


def test_intercompany_pair_after_fx_and_imbalance(con, settings):
    load(con, "ledger_line",
         balanced(erp("IC1", "1000.00", "2026-01-15", gl="140000", account_type="D",
                      trading_partner="US01", ref="IC-1"))
         + balanced(erp("IC2", "-1100.00", "2026-01-16", gl="240000", account_type="K", cc="US01",
                        currency="USD", trading_partner="DE01", ref="IC-1"))
         + balanced(erp("IC3", "1000.00", "2026-01-15", gl="140000", account_type="D",
                        trading_partner="US01", ref="IC-2"))
         + balanced(erp("IC4", "-1000.00", "2026-01-16", gl="240000", account_type="K", cc="US01",
                        currency="USD", trading_partner="DE01", ref="IC-2")))
    got = outcome(con, settings)
    assert got["DE01/2026/IC1/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC2/1"][2] == got["DE01/2026/IC1/1"][2]
    assert got["DE01/2026/IC3/1"][:2] == ("exception", "intercompany_imbalance")
    assert got["US01/2026/IC4/1"][:2] == ("exception", "intercompany_imbalance")


def test_intercompany_pair_in_one_currency_is_not_allowed_the_rate_band(con, settings):
    """The payable booked in the receivable's currency (CHF on both sides, whatever the
    partner's own currency) and 50.00 short: nothing was converted, so the rate band does not
    apply; an imbalance, not a match. A cent apart is still a match."""
    load(con, "ledger_line",
         balanced(erp("IC20", "6807.15", "2026-01-15", gl="140000", account_type="D",
                      currency="CHF", trading_partner="US01", ref="IC/CH/149"))
         + balanced(erp("IC21", "-6757.15", "2026-01-19", gl="240000", account_type="K",
                        cc="US01", currency="CHF", trading_partner="DE01", ref="IC/CH/149"))
         + balanced(erp("IC22", "500.00", "2026-01-15", gl="140000", account_type="D",
                        currency="CHF", trading_partner="US01", ref="IC/CH/150"))
         + balanced(erp("IC23", "-499.99", "2026-01-19", gl="240000", account_type="K",
                        cc="US01", currency="CHF", trading_partner="DE01", ref="IC/CH/150")))
    got = outcome(con, settings)
    assert got["DE01/2026/IC20/1"] == ("exception", "intercompany_imbalance", None,
                                       "US01/2026/IC21/1")
    assert got["US01/2026/IC21/1"][:2] == ("exception", "intercompany_imbalance")
    assert got["DE01/2026/IC22/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC23/1"][2] == got["DE01/2026/IC22/1"][2]


def test_erp_line_naming_an_unknown_po_is_a_mapping_error_with_its_chain(con, settings):
    """EBELN mistyped in the ERP (4501 for 4510): the line names a PO procurement does not know;
    the open invoice of its vendor and amount, whose PO no ERP line names, is the counterpart."""
    load(con, "purchase_order", [purchase_order("4510000028", 1, "700.00", "2026-01-02")])
    load(con, "receipt", [receipt("R1", "4510000028", "7", "2026-01-06")])
    load(con, "supplier_invoice", [supplier_invoice("I1", "SI-1", "4510000028", "700.00",
                                                    "2026-01-08")])
    vendor = {"gl": "160000", "account_type": "K", "vendor": "V900"}
    load(con, "ledger_line",
         balanced(erp("K1", "-700.00", "2026-01-09", purchase_order="4501000028", **vendor))
         + balanced(erp("K2", "-55.00", "2026-01-09", purchase_order="4599999999", **vendor)))
    got = outcome(con, settings)
    assert got["DE01/2026/K1/1"] == ("exception", "mapping_error", None, "I1")
    for ref in ("4510000028#v1", "R1", "I1"):
        assert got[ref][:2] == ("exception", "mapping_error"), ref
        assert got[ref][3] == "DE01/2026/K1/1"
    assert got["DE01/2026/K2/1"][:2] == ("exception", "mapping_error")  # no counterpart at all


def test_intercompany_pair_without_reference_by_amount_and_window(con, settings):
    load(con, "ledger_line",
         balanced(erp("IC5", "2354.08", "2026-01-15", gl="140000", account_type="D",
                      trading_partner="US01", ref="IC-5"))
         + balanced(erp("IC6", "-2354.08", "2026-01-19", gl="240000", account_type="K",
                        cc="US01", trading_partner="DE01"))
         + balanced(erp("IC7", "99.00", "2026-01-15", gl="140000", account_type="D",
                        trading_partner="US01", ref="IC-7"))
         + balanced(erp("IC8", "-99.00", "2026-01-28", gl="240000", account_type="K",
                        cc="US01", trading_partner="DE01"))
         + balanced(erp("IC18", "300.00", "2026-01-05", gl="140000", account_type="D",
                        trading_partner="US01", ref="IC-18"))
         + balanced(erp("IC19", "-300.00", "2026-01-12", gl="240000", account_type="K",
                        cc="US01", trading_partner="DE01")))
    got = outcome(con, settings)
    assert got["DE01/2026/IC5/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC6/1"][2] == got["DE01/2026/IC5/1"][2]
    assert got["DE01/2026/IC7/1"][0] == "exception"  # 13 days apart: outside the window
    # a week apart: beyond the date window, inside intercompany's settlement window (10 days)
    assert got["DE01/2026/IC18/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC19/1"][2] == got["DE01/2026/IC18/1"][2]


def test_intercompany_lines_without_a_shared_reference_pair_by_entity_pair(con, settings):
    """The partner booked its side without the reference and for its own figure: the entity
    pair's only open lines near each other after FX are one pair, a match within the rate band
    and an imbalance beyond it; two such candidates, or a figure far off, are no pair."""
    receivable = {"gl": "140000", "account_type": "D", "trading_partner": "US01"}
    payable = {"gl": "240000", "account_type": "K", "cc": "US01", "currency": "USD",
               "trading_partner": "DE01"}
    load(con, "ledger_line",
         balanced(erp("IC9", "1000.00", "2026-01-15", ref="IC-9", **receivable))
         + balanced(erp("IC10", "-1160.00", "2026-01-16", **payable))   # 1100 after FX
         + balanced(erp("IC11", "500.00", "2026-01-20", ref="IC-11", **receivable))
         + balanced(erp("IC12", "-553.00", "2026-01-21", **payable))    # 550: in the band
         + balanced(erp("IC13", "2000.00", "2026-01-23", ref="IC-13", **receivable))
         + balanced(erp("IC14", "-2300.00", "2026-01-23", **payable))
         + balanced(erp("IC15", "-2350.00", "2026-01-24", **payable))
         + balanced(erp("IC16", "100.00", "2026-01-29", ref="IC-16", **receivable))
         + balanced(erp("IC17", "-900.00", "2026-01-29", **payable)))
    got = outcome(con, settings)
    assert got["DE01/2026/IC9/1"] == ("exception", "intercompany_imbalance", None,
                                      "US01/2026/IC10/1")
    assert got["US01/2026/IC10/1"] == ("exception", "intercompany_imbalance", None,
                                       "DE01/2026/IC9/1")
    assert got["DE01/2026/IC11/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC12/1"][2] == got["DE01/2026/IC11/1"][2]
    for line in ("DE01/2026/IC13/1", "US01/2026/IC14/1", "US01/2026/IC15/1",
                 "DE01/2026/IC16/1", "US01/2026/IC17/1"):
        assert got[line][:2] == ("exception", "timing_difference"), line


def _received_invoiced_booked(con, n: str, received: str, invoiced: str, booked: str) -> None:
    """PO<n>'s receipt R<n>, supplier invoice I<n> (SI-<n>) and the ERP vendor line K<n>."""
    load(con, "receipt", [receipt(f"R{n}", f"PO{n}", received, "2026-01-07")])
    load(con, "supplier_invoice", [supplier_invoice(f"I{n}", f"SI-{n}", f"PO{n}", invoiced,
                                                    "2026-01-08")])
    load(con, "ledger_line", balanced(erp(f"K{n}", booked, "2026-01-09", gl="160000",
                                          account_type="K", vendor="V900",
                                          purchase_order=f"PO{n}", ref=f"SI-{n}")))


def test_erp_on_the_old_po_prices_for_a_partial_delivery_is_po_change_not_synced(con, settings):
    """PO v2 raised the price of line 1 (10 → 12); 5 of 8 arrived; procurement invoiced 5 × 12,
    the ERP booked 5 × 10: the old version's value of what was received."""
    load(con, "purchase_order", [purchase_order("PO3", 1, "80.00", "2026-01-02"),
                                 purchase_order("PO3", 2, "96.00", "2026-01-05")])
    con.execute("""INSERT INTO purchase_order_line (po_record_id, line_num, po_number, version,
                   quantity, price, total)
                   SELECT record_id, 1, 'PO3', version, 8, total / 8, total FROM purchase_order""")
    _received_invoiced_booked(con, "3", received="5", invoiced="60.00", booked="-50.00")
    got = outcome(con, settings)
    for ref in ("PO3#v2", "R3", "I3", "DE01/2026/K3/1"):
        assert got[ref][:2] == ("exception", "po_change_not_synced"), ref


def test_intercompany_reference_written_in_the_partner_line_text(con, settings):
    load(con, "ledger_line",
         balanced(erp("IC9", "1000.00", "2026-01-15", gl="140000", account_type="D",
                      trading_partner="US01", ref="IC25-0113", text="Recharge IC25-0113"))
         + balanced(erp("IC10", "-1100.00", "2026-01-16", gl="240000", account_type="K",
                        cc="US01", currency="USD", trading_partner="DE01",
                        text="IC invoice IC25-0113"))
         + balanced(erp("IC11", "1000.00", "2026-01-15", gl="140000", account_type="D",
                        trading_partner="US01", ref="IC25-0114"))
         + balanced(erp("IC12", "-1500.00", "2026-01-16", gl="240000", account_type="K",
                        cc="US01", currency="USD", trading_partner="DE01",
                        text="IC invoice IC25-0114")))
    got = outcome(con, settings)
    assert got["DE01/2026/IC9/1"][:2] == ("match", "intercompany_pair")
    assert got["US01/2026/IC10/1"][2] == got["DE01/2026/IC9/1"][2]
    assert got["DE01/2026/IC11/1"][:2] == ("exception", "intercompany_imbalance")
    assert got["US01/2026/IC12/1"][3] == "DE01/2026/IC11/1"


def test_trading_partner_no_entity_has_is_a_mapping_error_with_its_counterpart(con, settings):
    load(con, "ledger_line",
         balanced(erp("IC13", "-250.00", "2026-01-15", gl="240000", account_type="K",
                      trading_partner="US1"))
         + balanced(erp("IC14", "250.00", "2026-01-16", gl="140000", account_type="D",
                        cc="US01", trading_partner="DE01"))
         + balanced(erp("IC15", "-75.00", "2026-01-15", gl="240000", account_type="K",
                        trading_partner="XX99"))
         # the partner booked in its own currency: 300 EUR at 1.10
         + balanced(erp("IC16", "-300.00", "2026-01-20", gl="240000", account_type="K",
                        trading_partner="US"))
         + balanced(erp("IC17", "330.00", "2026-01-21", gl="140000", account_type="D",
                        cc="US01", currency="USD", trading_partner="DE01")))
    got = outcome(con, settings)
    assert got["DE01/2026/IC16/1"] == ("exception", "mapping_error", None, "US01/2026/IC17/1")
    assert got["US01/2026/IC17/1"] == ("exception", "mapping_error", None, "DE01/2026/IC16/1")
    assert got["DE01/2026/IC13/1"] == ("exception", "mapping_error", None, "US01/2026/IC14/1")
    assert got["US01/2026/IC14/1"] == ("exception", "mapping_error", None, "DE01/2026/IC13/1")
    assert got["DE01/2026/IC15/1"][:2] == ("exception", "mapping_error")


def test_po_change_on_lines_not_received_leaves_an_invoice_difference_an_amount_variance(
        con, settings):
    """v2 changed the price of line 2 only; only line 1 arrived: what was received is worth the
    same under both versions, so the ERP is not on an old version and 50.40 against 50 (within
    the price tolerance of what was received, not of the ERP line) is a plain
    amount variance."""
    load(con, "purchase_order", [purchase_order("PO4", 1, "100.00", "2026-01-02"),
                                 purchase_order("PO4", 2, "104.00", "2026-01-05")])
    con.execute("""INSERT INTO purchase_order_line (po_record_id, line_num, po_number, version,
                   quantity, price, total)
                   SELECT record_id, 1, 'PO4', version, 8, 10, 80 FROM purchase_order
                   UNION ALL
                   SELECT record_id, 2, 'PO4', version, 4, 4 + version, 4 * (4 + version)
                   FROM purchase_order""")
    _received_invoiced_booked(con, "4", received="5", invoiced="50.40", booked="-50.00")
    got = outcome(con, settings)
    for ref in ("PO4#v2", "R4", "I4", "DE01/2026/K4/1"):
        assert got[ref][:2] == ("exception", "amount_variance"), ref
