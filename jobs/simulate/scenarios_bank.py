"""bank_to_ledger: customer receipts and supplier payments, as the bank and the ledger book them.

Every event yields a statement line on a bank account and/or a two-line ERP document: the line
on the account's GL (in scope, ``account_type`` S, credits +/debits − like the bank) and an
offset on a clearing account (out of scope, no reference). What differs per scenario is where
the reference sits, which amounts agree, and which side exists at all.
"""

from __future__ import annotations

import datetime as dt

from jobs.simulate import money, parties
from jobs.simulate.context import AccountInfo, Ctx
from jobs.simulate.plan import B2L
from jobs.simulate.writers.erp_csv import AMOUNT, CCY, line
from jobs.simulate.writers.statement import BankLine

IN_CLEARING, OUT_CLEARING = "129900", "219900"
NOTPROVIDED = "NOTPROVIDED"
DEFECTS = ("currency", "amount", "date", "unbalanced")
SUBS_CAMT = ("bank_fee", "fx_difference", "partial_payment", "overpayment", "other")
SUBS_MT940 = ("partial_payment", "overpayment", "other")
FEES = (750, 1500, 2500)   # 7.50 / 15.00 / 25.00 (JPY: 750 / 1 500 / 2 500)
FOREIGN = {"EUR": "USD", "USD": "EUR", "JPY": "USD", "GBP": "EUR"}
_TEXTS = ("Invoice {}", "{}", "Rechnung {}", "Payment {}", "{} Zahlung")


class Dates:
    __slots__ = ("doc", "posting", "booking", "value")

    def __init__(self, doc: dt.date, posting: dt.date, booking: dt.date, value: dt.date):
        self.doc, self.posting, self.booking, self.value = doc, posting, booking, value


def dates(ctx: Ctx, info: AccountInfo, day: dt.date, credit: bool, max_gap: int = 99) -> Dates | None:
    """Receipts: initiated any day, booked the next business day, posted 0-2 business days
    later. Payments: posted on a business day, debited then or the next. Never after as_of."""
    cal, as_of, r = info.cal, ctx.as_of, ctx.rng.random()
    if credit:
        booking = cal.on_or_after(day)
        if booking > as_of:
            return None
        posting = cal.add(booking, 0 if r < 0.5 else 1 if r < 0.85 else 2)
        if posting > as_of:
            posting = cal.on_or_before(as_of)
        doc = day
    else:
        posting = cal.on_or_after(day)
        if posting > as_of:
            return None
        booking = cal.add(posting, 1) if r < 0.7 else posting
        if booking > as_of:
            booking = posting
        doc = posting
    if abs((posting - booking).days) > max_gap:
        posting = booking
    value = booking
    if r * 10 % 1 < 0.1:   # value date differs from booking date
        value = cal.add(booking, 1) if credit else cal.on_or_before(booking - dt.timedelta(days=1))
        if value > as_of:
            value = booking
    return Dates(doc, posting, booking, value)


class Payment:
    """What most bank_to_ledger events start from: dates, signed amount, reference, payer."""

    __slots__ = ("d", "amount", "ref", "name", "account")

    def __init__(self, d: Dates, amount: int, ref: str, name: str, account: str):
        self.d, self.amount, self.ref, self.name, self.account = d, amount, ref, name, account


def payment(ctx: Ctx, info: AccountInfo, day: dt.date, credit: bool) -> Payment | None:
    """A receipt (credit, our invoice number as reference) or a supplier payment (debit, our
    payment reference); None when it would be booked after as_of."""
    d = dates(ctx, info, day, credit)
    if d is None:
        return None
    amount = money.draw(ctx.rng, info.lo, info.hi, info.dec)
    ref = ctx.invoice_ref(info.cc) if credit else ctx.payment_ref(info.cc)
    name, account = ctx.pick(info.payers)
    return Payment(d, amount if credit else -amount, ref, name, account)


def bank(ctx: Ctx, info: AccountInfo, d: Dates, amount: int, e2e: str, name: str, account: str,
         text: str, **kw) -> str:
    ref = info.writer.next_ref(d.booking)
    info.writer.add(BankLine(amount, d.booking, d.value, ref, e2e, name, account, text, **kw))
    return ref


def erp(ctx: Ctx, info: AccountInfo, d: Dates, amount: int, ref: str = "", assign: str = "",
        text: str = "", gl: str = "", defect: str = "", minute: int | None = None,
        offset_gl: str = "", doc_type: str = "") -> str:
    """Post the two-line document; returns the source_ref of the bank-GL line."""
    minute = ctx.minute() if minute is None else minute
    doc_type = doc_type or ("DZ" if amount >= 0 else "KZ")
    gl = gl or info.acct.gl
    offset_gl = offset_gl or (IN_CLEARING if amount >= 0 else OUT_CLEARING)
    offset_text = f"Clearing {text}"[:50]
    if not defect:
        return ctx.erp.post_pair(info.cc, doc_type, d.posting, d.doc, minute, gl, amount, ref,
                                 assign, text, offset_gl, offset_text)
    first = line(gl, "S", amount, ref, assign, text)
    offset = line(offset_gl, "S", -amount, text=offset_text)
    return post_defective(ctx, info.cc, doc_type, d.posting, d.doc, first, offset, defect)


def post_defective(ctx: Ctx, cc: str, doc_type: str, posting: dt.date, doc_date: dt.date,
                   first: list, offset: list, defect: str) -> str:
    """A document whose in-scope ``first`` line fails a critical check (SPEC §5.3): invalid
    currency, no amount, impossible posting date, or a document that does not balance."""
    rng, posting_text = ctx.rng, ""
    if defect == "currency":
        first[CCY] = ctx.pick(("EU", "XXX", "EURO"))
    elif defect == "amount":
        first[AMOUNT] = None
    elif defect == "date":
        posting_text = posting.replace(year=ctx.pick((2099, 1901)), day=min(posting.day, 28)
                                       ).isoformat()
    else:
        offset[AMOUNT] += rng.randrange(100, 10_000)
    return ctx.erp.post(cc, doc_type, posting, doc_date, [first, offset], ctx.minute(),
                        posting_text=posting_text)[0]


def _text(ctx: Ctx, ref: str) -> str:
    return ctx.pick(_TEXTS).format(ref)


def exact(ctx: Ctx, info: AccountInfo, day: dt.date, kind: str = "exact_reference",
          defect: str = "", duplicate: bool = False) -> None:
    rng = ctx.rng
    credit = rng.random() < 0.6
    if not credit and info.acct.fmt == "camt.053.001.08" and not (defect or duplicate) \
            and kind == "exact_reference" and rng.random() < 0.12:
        return payment_run(ctx, info, day)
    p = payment(ctx, info, day, credit)
    if p is None:
        return
    d, amount, ref, name = p.d, p.amount, p.ref, p.name
    delta = 0
    if kind == "amount_tolerance":   # the ERP is one minor unit off (FX rounding)
        delta = ctx.pick((-1, 1))
        while not money.is_free(abs(amount + delta)):
            amount = money.draw(rng, info.lo, info.hi, info.dec) * (1 if credit else -1)
    sref = ref if credit and info.acct.camt and rng.random() < 0.25 else ""
    b = bank(ctx, info, d, amount, ref, name, p.account, _text(ctx, ref), sref=sref)
    minute = ctx.minute()
    e = erp(ctx, info, d, amount + delta, ref, text=name, defect=defect, minute=minute)
    t = ctx.truth
    if defect:
        t.exception("erp", e, B2L, "source_system_defect")
        t.alone("bank", b, B2L, d.booking)
        return
    t.pair("bank", b, "erp", e, B2L, ctx.key(), kind)
    if duplicate:
        copy = erp(ctx, info, d, amount, ref, text=name,
                   minute=min(minute + rng.randrange(7, 300), 1439))
        t.exception("erp", copy, B2L, "duplicate_submission")


def payment_run(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    """One batch-booked debit with several TxDtls, each matched by its own EndToEndId."""
    rng = ctx.rng
    d = dates(ctx, info, day, credit=False)
    if d is None:
        return
    details, refs = [], []
    for _ in range(ctx.ri(2, 5)):
        amount = money.draw(rng, info.lo, info.hi, info.dec)
        ref = ctx.payment_ref(info.cc)
        name, account = ctx.pick(info.payers)
        details.append((-amount, ref, name, account, _text(ctx, ref)))
        refs.append(erp(ctx, info, d, -amount, ref, text=name))
    total = sum(x[0] for x in details)
    b = bank(ctx, info, d, total, NOTPROVIDED, "PAYMENT RUN", info.acct.account,
             f"Sammler {len(details)} Zahlungen", details=details)
    for n, e in enumerate(refs, 1):
        ctx.truth.pair("bank", f"{b}/{n}", "erp", e, B2L, ctx.key(), "exact_reference")


def reference_in_text(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    p = payment(ctx, info, day, credit=True)
    if p is None:
        return
    text = parties.noisy_reference(ctx.rng, p.ref, slash=info.acct.fmt != "mt940-remi")
    b = bank(ctx, info, p.d, p.amount, NOTPROVIDED, p.name, p.account, text)
    in_assignment = ctx.rng.random() < 0.3   # the ERP keeps it in ZUONR, not XBLNR
    e = erp(ctx, info, p.d, p.amount, "" if in_assignment else p.ref,
            p.ref if in_assignment else "", text=p.name)
    ctx.truth.pair("bank", b, "erp", e, B2L, ctx.key(), "reference_in_text")


def fuzzy_name(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    rng = ctx.rng
    credit = rng.random() < 0.8
    d = dates(ctx, info, day, credit, max_gap=4)
    if d is None:
        return
    amount = money.fuzzy(rng, info.lo, info.hi, info.dec, info.fuzzy_used)
    sign = 1 if credit else -1
    name, account = ctx.pick(info.payers)
    b = bank(ctx, info, d, sign * amount, NOTPROVIDED, parties.fuzzy_variant(rng, name), account,
             ctx.pick(parties.GENERIC_REMITTANCE))
    e = erp(ctx, info, d, sign * amount, text=name)
    ctx.truth.pair("bank", b, "erp", e, B2L, ctx.key(), "fuzzy_name")


def batch_payment(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    """One receipt settling 2-6 invoices: the text lists them all, the amount is their sum."""
    rng = ctx.rng
    d = dates(ctx, info, day, credit=True)
    if d is None:
        return
    amounts = [money.draw(rng, info.lo, info.hi / 4, info.dec) for _ in range(ctx.ri(2, 6))]
    while not money.is_free(sum(amounts)):
        amounts[-1] = money.free(amounts[-1] + 1)
    refs = [ctx.invoice_ref(info.cc) for _ in amounts]
    name, account = ctx.pick(info.payers)
    listed = refs[:]
    rng.shuffle(listed)   # the payer lists them in its own order
    text = ctx.pick(("", "Payment ", "Sammelzahlung ", "RE: ")) + " ".join(listed)
    b = bank(ctx, info, d, sum(amounts), NOTPROVIDED, name, account, text)
    key = ctx.key()
    ctx.truth.match("bank", b, B2L, key, "batch_payment")
    for amount, ref in zip(amounts, refs, strict=True):
        ctx.truth.match("erp", erp(ctx, info, d, amount, ref, text=name), B2L, key, "batch_payment")
