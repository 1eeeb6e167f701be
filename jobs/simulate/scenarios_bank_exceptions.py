"""bank_to_ledger exceptions: pairs that disagree, and records still waiting for their other side.

Also the day loop of the workflow, which deals each event its scenario.
"""

from __future__ import annotations

import datetime as dt

from jobs.simulate import money
from jobs.simulate.context import AccountInfo, Ctx
from jobs.simulate.enterprise import ACCOUNT_RANGES
from jobs.simulate.plan import B2L
from jobs.simulate.scenarios_bank import (
    DEFECTS,
    FEES,
    FOREIGN,
    SUBS_CAMT,
    SUBS_MT940,
    bank,
    batch_payment,
    erp,
    exact,
    fuzzy_name,
    payment,
    reference_in_text,
)


def mapping_error(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    """A line on an account missing from bank_accounts.csv; the ERP booked it on that account's
    own GL, which is therefore not a bank GL in master data either. Same reference both sides."""
    if not ctx.unmapped:
        return exact(ctx, info, day)
    u = ctx.unmapped[ctx.count("unmapped") % len(ctx.unmapped)]
    p = payment(ctx, u, day, ctx.rng.random() < 0.6)
    if p is None:
        return
    b = bank(ctx, u, p.d, p.amount, p.ref, p.name, p.account, f"Invoice {p.ref}")
    e = erp(ctx, u, p.d, p.amount, p.ref, text=p.name)
    key = ctx.key()
    ctx.truth.exception("bank", b, B2L, "mapping_error", key)
    ctx.truth.exception("erp", e, B2L, "mapping_error", key)


def amount_variance(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    """Bank and ERP share the reference (EndToEndId = ERP reference); amounts differ."""
    rng = ctx.rng
    sub = ctx.rotate(f"variance{info.acct.camt}", SUBS_CAMT if info.acct.camt else SUBS_MT940)
    credit = sub != "other"
    p = payment(ctx, info, day, credit)
    if p is None:
        return
    d, ref, name = p.d, p.ref, p.name
    kw, erp_text = {}, name
    while True:
        ours = money.draw(rng, info.lo * 5, info.hi, info.dec)
        if sub == "bank_fee":
            kw["charges"] = FEES[rng.randrange(3)]
            theirs = ours - kw["charges"]
        elif sub == "partial_payment":
            theirs = int(ours * (0.3 + 0.6 * rng.random()))
        elif sub == "overpayment":
            theirs = int(ours * (1.02 + 0.3 * rng.random()))
        elif sub == "other":
            theirs = _transposed(ours)
        else:
            ours, theirs, kw["instructed"] = _fx(ctx, info, d.posting)
            ccy, foreign, fdec, _ = kw["instructed"]
            erp_text = f"{name} {ccy} {money.fmt(foreign, fdec)}"
        if money.is_free(theirs) and money.is_free(ours) and abs(theirs - ours) > 1:
            break
    sign = 1 if credit else -1
    b = bank(ctx, info, d, sign * theirs, ref, name, p.account, f"Invoice {ref}", **kw)
    e = erp(ctx, info, d, sign * ours, ref, text=erp_text)
    key = ctx.key()
    ctx.truth.exception("bank", b, B2L, "amount_variance", key, sub)
    ctx.truth.exception("erp", e, B2L, "amount_variance", key, sub)


def _transposed(amount: int) -> int:
    """A keying error: two adjacent digits swapped (or, if they are equal, 10 % more)."""
    s = str(amount)
    for i in range(len(s) - 2, 0, -1):
        if s[i] != s[i - 1]:
            return int(s[: i - 1] + s[i] + s[i - 1] + s[i + 1:])
    return amount * 11 // 10


def _fx(ctx: Ctx, info: AccountInfo, posting: dt.date):
    """A receipt instructed in a foreign currency. The ERP expected the foreign amount at the
    day's fx_rates.csv rate, in the account currency like every bank-GL line; the bank
    converted at a rate 2.1-2.9 % away (beyond the 2 % FX band, below 3 %).

    Returns (ERP amount, bank amount, (currency, foreign minor, its decimals, bank rate))."""
    rng, ent = ctx.rng, ctx.ent
    lccy = info.acct.currency
    fccy = FOREIGN[lccy]
    fdec = money.decimals(fccy)
    foreign = money.draw(rng, *ACCOUNT_RANGES[fccy], fdec)
    if (fccy, lccy) in ent.fx:
        local = money.convert(foreign, fdec, ent.fx[(fccy, lccy)][posting], info.dec)
    else:
        local = money.convert_inverse(foreign, fdec, ent.fx[(lccy, fccy)][posting], info.dec)
    off = (0.021 + 0.008 * rng.random()) * ctx.pick((-1, 1))
    theirs = int(local * (1 + off))
    rate = f"{theirs / 10**info.dec / (foreign / 10**fdec):.6f}"
    return local, theirs, (fccy, foreign, fdec, rate)


def alone(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    """Only one side exists yet: a receipt nobody posted, or a posting the bank has not booked.
    Its cause follows from its own date: timing_difference inside the window, else missing."""
    p = payment(ctx, info, day, ctx.rng.random() < 0.5)
    if p is None:
        return
    if ctx.rng.random() < 0.5:
        b = bank(ctx, info, p.d, p.amount, p.ref, p.name, p.account, f"Invoice {p.ref}")
        ctx.truth.alone("bank", b, B2L, p.d.booking)
    else:
        e = erp(ctx, info, p.d, p.amount, p.ref, text=p.name)
        ctx.truth.alone("erp", e, B2L, p.d.posting)


def defect(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    exact(ctx, info, day, defect=ctx.rotate("defect", DEFECTS))


def duplicate(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    exact(ctx, info, day, duplicate=True)


def tolerance(ctx: Ctx, info: AccountInfo, day: dt.date) -> None:
    exact(ctx, info, day, "amount_tolerance" if info.dec else "exact_reference")


BUILDERS = {
    "exact_reference": exact, "reference_in_text": reference_in_text, "fuzzy_name": fuzzy_name,
    "batch_payment": batch_payment, "amount_tolerance": tolerance,
    "source_system_defect": defect, "duplicate_submission": duplicate,
    "mapping_error": mapping_error, "amount_variance": amount_variance,
    "timing_difference": alone, "missing_counterpart": alone,
}


class BankDay:
    """Deals the day's bank events of each mapped account."""

    def __init__(self, ctx: Ctx):
        self.plan = []
        for info in ctx.accounts.values():
            if info.acct.mapped:
                n = ctx.ent.volumes.bank[info.acct.key]
                cal = info.cal
                self.plan.append((info, ctx.daily(n, lambda d, c=cal: 1.0 if c.is_open(d) else 0.3)))

    def run(self, ctx: Ctx, i: int, day: dt.date) -> None:
        pick, age = ctx.pickers[B2L].pick, ctx.age(day)
        for info, counts in self.plan:
            for _ in range(counts[i]):
                BUILDERS[pick(age)](ctx, info, day)
