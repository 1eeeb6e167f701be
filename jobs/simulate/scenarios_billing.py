"""billing_to_ledger: Stripe charges, refunds and payouts, and the ERP cash application of each.

A charge's ERP counterpart is a customer line (account_type D, the customer mapped through
customers.csv, reference = the Stripe invoice number, amount = −charge) posted 0-2 business days
later; a refund's is the positive line with the same invoice number. Every business day each
Stripe account pays out what became available, net of fees and refunds; the payout reaches the
bank the next business day and the ERP books it on the bank GL with the payout id as reference.
"""

from __future__ import annotations

import datetime as dt

from jobs.simulate import money, parties
from jobs.simulate.context import Ctx
from jobs.simulate.plan import BIL
from jobs.simulate.scenarios_bank import DEFECTS, Dates, bank, erp, post_defective
from jobs.simulate.writers.erp_csv import line

AR_GL, STRIPE_GL = "140000", "113900"
PRICES = {"JPY": (980, 2980, 4980, 9800, 29800, 98000),
          "default": (1900, 2900, 4900, 9900, 19900, 49900, 99900)}
FEES = {"EUR": (0.015, 25), "USD": (0.029, 30), "JPY": (0.036, 0)}   # rate, fixed minor units
PAYOUT_ACCOUNT = {"DE01": "DE01-DB", "US01": "US01-JM", "JP01": "JP01-MU"}
REFUND_SHARE = 0.05
_EPOCH = dt.date(1970, 1, 1)
def unix(day: dt.date, seconds: int = 0) -> int:
    return (day - _EPOCH).days * 86400 + seconds


class StripeAccount:
    """One entity's Stripe account: its lists, unpaid balance transactions, payout bank."""

    def __init__(self, ctx: Ctx, cc: str):
        ent = ctx.ent
        self.cc, self.lists = cc, ctx.stripe[cc]
        self.ccy = ent.entities[cc].currency
        self.c = self.ccy.lower()
        self.dec = money.decimals(self.ccy)
        self.customers = ent.customers[cc]
        self.cal = ent.calendar(cc)
        self.bank = ctx.accounts[PAYOUT_ACCOUNT[cc]]
        self.prices = PRICES.get(self.ccy, PRICES["default"])
        self.fee = FEES[self.ccy]
        self.pending: list[tuple] = []   # (available date, txn id, amount, fee, net, created, type, source)
        self.seq: dict[str, int] = {}
        self.destination = ctx.stripe_id("ba_")
        self.payer_account = parties.account_id(ctx.rng, ent.entities[cc].country)
        self.counts = ctx.daily(ent.volumes.charges[cc],
                                lambda d: 1.0 if d.weekday() < 5 else 0.7)

    def number(self, cust) -> str:
        n = self.seq[cust.billing_id] = self.seq.get(cust.billing_id, 0) + 1
        return f"{cust.invoice_prefix}-{n:04d}"

    def txn(self, ctx: Ctx, created: int, amount: int, fee: int, type_: str, source: str) -> str:
        tid = ctx.stripe_id("txn_")
        avail = dt.date.fromordinal(_EPOCH.toordinal() + created // 86400 + 2)
        self.pending.append((avail, tid, amount, fee, amount - fee, created, type_, source))
        return tid

    def write_txn(self, t: tuple, payout: str, as_of: dt.date) -> None:
        avail, tid, amount, fee, net, created, type_, source = t
        c = self.c
        fd = (f'{{"amount":{fee},"currency":"{c}","description":"Stripe processing fees",'
              f'"type":"stripe_fee"}}') if fee else ""
        desc = '"STRIPE PAYOUT"' if type_ == "payout" else "null"
        po = f'"{payout}"' if payout else "null"
        self.lists["balance_transactions"].add(
            f'{{"id":"{tid}","object":"balance_transaction","amount":{amount},'
            f'"available_on":{unix(avail)},"created":{created},"currency":"{c}",'
            f'"description":{desc},"fee":{fee},"fee_details":[{fd}],"net":{net},'
            f'"reporting_category":"{type_}","source":"{source}",'
            f'"status":"{"available" if avail <= as_of else "pending"}","type":"{type_}",'
            f'"payout":{po}}}')


def ar_post(ctx: Ctx, sa: StripeAccount, when: dt.date, amount: int, ref: str, customer: str,
            name: str, defect: str = "") -> tuple[str, dt.date] | None:
    """Cash application (−) or refund (+) on the customer account, 0-2 business days after."""
    p = sa.cal.add(when, ctx.pick((0, 0, 1, 2)))
    if p > ctx.as_of:
        p = sa.cal.on_or_before(ctx.as_of)
        if p < when:
            return None   # not applied yet: the Stripe side waits alone
    first = line(AR_GL, "D", amount, ref, text=name, cust=customer)
    offset = line(STRIPE_GL, "S", -amount, text="Stripe clearing")
    doc_type = "DZ" if amount < 0 else "DG"
    if defect:
        return post_defective(ctx, sa.cc, doc_type, p, when, first, offset, defect), p
    return ctx.erp.post(sa.cc, doc_type, p, when, [first, offset], ctx.minute())[0], p


def charge(ctx: Ctx, sa: StripeAccount, day: dt.date, scenario: str) -> None:
    rng, t = ctx.rng, ctx.truth
    cust = ctx.pick(sa.customers)
    amount = ctx.pick(sa.prices) * ctx.ri(1, 12)
    created = unix(day, int(rng.random() * 86400))
    cid, iid, pi = ctx.stripe_id("ch_"), ctx.stripe_id("in_"), ctx.stripe_id("pi_")
    number = sa.number(cust)
    fee = round(amount * sa.fee[0]) + sa.fee[1]
    tid = sa.txn(ctx, created, amount, fee, "charge", cid)
    refunded = 0
    if scenario == "exact_reference" and rng.random() < REFUND_SHARE:
        refunded = refund(ctx, sa, day, cid, pi, amount, number, cust)
    c = sa.c
    sa.lists["invoices"].add(
        f'{{"id":"{iid}","object":"invoice","number":"{number}","customer":"{cust.billing_id}",'
        f'"customer_name":"{cust.name}","charge":"{cid}","amount_due":{amount},'
        f'"amount_paid":{amount},"amount_remaining":0,"subtotal":{amount},"total":{amount},'
        f'"currency":"{c}","created":{created - 120},"livemode":false,"paid":true,'
        f'"status":"paid"}}')
    sa.lists["charges"].add(
        f'{{"id":"{cid}","object":"charge","amount":{amount},"amount_captured":{amount},'
        f'"amount_refunded":{refunded},"balance_transaction":"{tid}",'
        f'"billing_details":{{"name":"{cust.name}"}},"captured":true,"created":{created},'
        f'"currency":"{c}","customer":"{cust.billing_id}","description":"Subscription '
        f'{number[-4:]}","invoice":"{iid}","livemode":false,"metadata":{{}},"paid":true,'
        f'"payment_intent":"{pi}","refunded":{"true" if refunded == amount else "false"},'
        f'"status":"succeeded"}}')
    erp_customer = cust.erp_id
    if scenario == "mapping_error":   # the ERP line names another customer than master data
        others = [c for c in sa.customers[:50] if c.erp_id != cust.erp_id]
        erp_customer = ctx.pick(others).erp_id
    defect = ctx.rotate("bil_defect", DEFECTS) if scenario == "source_system_defect" else ""
    posted = None
    if scenario not in ("timing_difference", "missing_counterpart"):
        posted = ar_post(ctx, sa, day, -amount, number, erp_customer, cust.name, defect)
    if posted is None:
        t.alone("billing", cid, BIL, day)
    elif defect:
        t.exception("erp", posted[0], BIL, "source_system_defect")
        t.alone("billing", cid, BIL, day)
    else:
        key = ctx.key()
        if scenario == "mapping_error":
            t.exception("billing", cid, BIL, "mapping_error", key)
            t.exception("erp", posted[0], BIL, "mapping_error", key)
        else:
            t.pair("billing", cid, "erp", posted[0], BIL, key, "exact_reference")


def refund(ctx: Ctx, sa: StripeAccount, day: dt.date, cid: str, pi: str, amount: int,
           number: str, cust) -> int:
    """A refund 1-10 days after the charge (none if that is after as_of); returns its amount."""
    rng = ctx.rng
    when = day + dt.timedelta(days=ctx.ri(1, 10))
    if when > ctx.as_of:
        return 0
    r = amount if rng.random() < 0.5 else amount * ctx.ri(20, 80) // 100
    rid = ctx.stripe_id("re_")
    created = unix(when, int(rng.random() * 86400))
    tid = sa.txn(ctx, created, -r, 0, "refund", rid)
    sa.lists["refunds"].add(
        f'{{"id":"{rid}","object":"refund","amount":{r},"balance_transaction":"{tid}",'
        f'"charge":"{cid}","created":{created},"currency":"{sa.c}","metadata":{{}},'
        f'"payment_intent":"{pi}","reason":"requested_by_customer","status":"succeeded"}}')
    posted = ar_post(ctx, sa, when, r, number, cust.erp_id, cust.name)
    if posted is None:
        ctx.truth.alone("billing", rid, BIL, when)
    else:
        ctx.truth.pair("billing", rid, "erp", posted[0], BIL, ctx.key(), "exact_reference")
    return r


def payout(ctx: Ctx, sa: StripeAccount, day: dt.date) -> None:
    """Pay out everything available by ``day``; it arrives at the bank the next business day.
    Transactions are held back while the sum would fall in the fuzzy amount band (see money)."""
    if not sa.cal.is_open(day):
        return
    arrival = sa.cal.add(day, 1)
    if arrival > ctx.as_of:
        return
    due = [t for t in sa.pending if t[0] <= day]
    keep = [t for t in sa.pending if t[0] > day]
    while due and (sum(t[4] for t in due) <= 0 or not money.is_free(sum(t[4] for t in due))):
        keep.insert(0, due.pop())
    sa.pending = keep
    if not due:
        return
    amount = sum(t[4] for t in due)
    po, ptxn = ctx.stripe_id("po_"), ctx.stripe_id("txn_")
    for t in due:
        sa.write_txn(t, po, ctx.as_of)
    created = unix(day, 3600 + ctx.rng.randrange(3600))
    sa.write_txn((day, ptxn, -amount, 0, -amount, created, "payout", po), "", ctx.as_of)
    sa.lists["payouts"].add(
        f'{{"id":"{po}","object":"payout","amount":{amount},"arrival_date":{unix(arrival)},'
        f'"automatic":true,"balance_transaction":"{ptxn}","created":{created},'
        f'"currency":"{sa.c}","description":"STRIPE PAYOUT","destination":"{sa.destination}",'
        f'"livemode":false,"metadata":{{}},"method":"standard","source_type":"card",'
        f'"statement_descriptor":null,"status":"paid","type":"bank_account"}}')
    info = sa.bank
    posting = info.cal.add(arrival, ctx.pick((0, 0, 1)))
    posting = min(posting, info.cal.on_or_before(ctx.as_of))
    d = Dates(arrival, posting, arrival, arrival)
    b = bank(ctx, info, d, amount, "NOTPROVIDED", "STRIPE", sa.payer_account,
             f"STRIPE PAYOUT {po}")
    e = erp(ctx, info, d, amount, po, text="Stripe payout", offset_gl=STRIPE_GL, doc_type="ZP")
    key = ctx.key()
    for system, ref in (("billing", po), ("bank", b), ("erp", e)):
        ctx.truth.match(system, ref, BIL, key, "payout_net_of_fees")


def close(sa: StripeAccount, as_of: dt.date) -> None:
    """Balance transactions not yet paid out are written without a payout."""
    for t in sa.pending:
        sa.write_txn(t, "", as_of)
    sa.pending = []


class BillingDay:
    """Deals the day's charges of each Stripe account in the partition, then pays out."""

    def __init__(self, ctx: Ctx):
        self.accounts = [StripeAccount(ctx, cc) for cc in ctx.stripe]

    def run(self, ctx: Ctx, i: int, day: dt.date) -> None:
        pick, age = ctx.pickers[BIL].pick, ctx.age(day)
        for sa in self.accounts:
            for _ in range(sa.counts[i]):
                charge(ctx, sa, day, pick(age))

    def payouts(self, ctx: Ctx, day: dt.date) -> None:
        for sa in self.accounts:
            payout(ctx, sa, day)

    def close(self, ctx: Ctx) -> None:
        for sa in self.accounts:
            close(sa, ctx.as_of)
