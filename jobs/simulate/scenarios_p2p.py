"""procure_to_pay: purchase order (and change orders), goods receipts, supplier invoice, AP line.

The ERP vendor line (account_type K) carries the PO number in ``purchase_order``, the supplier's
invoice number in ``reference`` and −invoice total as amount; it is posted 0-3 business days
after the invoice date. Truth names the latest PO version as ``<po_number>#v<version>``.
"""

from __future__ import annotations

import datetime as dt

from jobs.simulate import money
from jobs.simulate.calendar import CLOCK, ISO
from jobs.simulate.context import Ctx
from jobs.simulate.plan import P2P
from jobs.simulate.scenarios_bank import DEFECTS, post_defective
from jobs.simulate.writers.erp_csv import line

AP_GL, GRIR_GL = "160000", "191100"
ITEMS = ("Office supplies", "Laptop", "Consulting services", "Maintenance", "Spare parts",
         "Cloud subscription", "Packaging material", "Freight", "Safety equipment", "Training")
EXPENSE = ("610000", "620000", "630000", "650000")
PRICE_RANGE = {"JPY": (1_000, 300_000), "default": (10, 2_000)}
_NUMBER_STYLES = ("RE-{y}-{n:06d}", "INV{n:08d}", "{v}/{y}/{n:05d}", "SI-{n:07d}")


def qty_text(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return str(whole) if not frac else f"{whole}.{frac:03d}".rstrip("0")


def line_total(milli: int, price: int) -> int:
    return (milli * price + 500) // 1000


class Supply:
    """One entity's procurement: ids, number ranges and the day's invoice count."""

    def __init__(self, ctx: Ctx, cc: str, index: int):
        ent = ctx.ent
        self.cc, self.lists = cc, ctx.coupa[cc]
        self.ccy = ent.entities[cc].currency
        self.dec = money.decimals(self.ccy)
        self.cal = ent.calendar(cc)
        self.off = ent.offsets[cc]
        self.mapped = [v for v in ent.vendors[cc] if v.mapped]
        self.unmapped = [v for v in ent.vendors[cc] if not v.mapped]
        self.lo, self.hi = PRICE_RANGE.get(self.ccy, PRICE_RANGE["default"])
        self.index = index
        self.counts = ctx.daily(ent.volumes.chains[cc], lambda d: 1.0 if self.cal.is_open(d) else 0)

    def ts(self, day: dt.date, minute: int) -> str:
        return f"{ISO[day]}T{CLOCK[minute]}{self.off[day]}"

    def amount(self, minor: int) -> str:
        return money.fmt(minor, self.dec)


def chain(ctx: Ctx, s: Supply, day: dt.date, scenario: str) -> None:
    rng, t = ctx.rng, ctx.truth
    vendor = ctx.pick(s.unmapped if scenario == "mapping_error" else s.mapped)
    n = ctx.count("po" + s.cc)
    po, po_id = f"45{s.index}{n:07d}", 1_000_000 * (s.index + 1) + n
    created = day - dt.timedelta(days=ctx.ri(6, 30))
    lines = [[k, ctx.pick(ITEMS), ctx.ri(1, 40) * 1000 + ctx.pick((0, 0, 0, 500)),
              money.draw(rng, s.lo, s.hi, s.dec), ctx.pick(EXPENSE)]
             for k in range(1, ctx.ri(1, 3) + 1)]
    versions = [(created, [ln[:] for ln in lines])]
    if scenario == "po_change_not_synced" or (scenario == "three_way_po" and rng.random() < 0.1):
        changed = created + dt.timedelta(days=ctx.ri(1, (day - created).days - 2))
        ln = ctx.pick(lines)
        ln[2] += ctx.ri(1, 10) * 1000   # the change order raises a quantity
        versions.append((changed, [x[:] for x in lines]))
    totals = [sum(line_total(q, p) for _, _, q, p, _ in v) for _, v in versions]
    for v, (when, vlines) in enumerate(versions, 1):
        order_lines = ",".join(
            f'{{"line_num":{k},"description":"{desc}","quantity":"{qty_text(q)}",'
            f'"price":"{s.amount(p)}","total":"{s.amount(line_total(q, p))}",'
            f'"account":{{"code":"{acct}"}}}}' for k, desc, q, p, acct in vlines)
        stamp = s.ts(when, ctx.minute())
        s.lists["purchase_orders"].add(
            f'{{"id":{po_id},"po_number":"{po}","version":{v},'
            f'"status":"{"issued" if v == len(versions) else "superseded"}",'
            f'"company_code":"{s.cc}","currency":{{"code":"{s.ccy}"}},'
            f'"supplier":{{"id":{vendor.supplier_id},"name":"{vendor.name}"}},"created_at":"{stamp}",'
            f'"updated_at":"{stamp}","total":"{s.amount(totals[v - 1])}","order_lines":[{order_lines}]}}')
    members = [f"{po}#v{len(versions)}"]
    got = versions[-1][0]
    for k, _, q, _, _ in lines:
        rid = 10_000_000 + 2_000_000 * s.index + ctx.count("gr" + s.cc)
        when = got + dt.timedelta(days=ctx.ri(1, max(1, (day - got).days)))
        s.lists["receipts"].add(
            f'{{"id":{rid},"po_number":"{po}","line_num":{k},"quantity":"{qty_text(q)}",'
            f'"received_at":"{s.ts(min(when, day), ctx.minute())}"}}')
        members.append(str(rid))
    inv_id, number, total = invoice(ctx, s, vendor, po, lines, day, scenario)
    members.append(str(inv_id))
    if scenario == "duplicate_submission":   # the supplier sends the same invoice again
        copy_id, _, _ = invoice(ctx, s, vendor, po, lines, day, scenario, number, copy=True)
        t.exception("procurement", str(copy_id), P2P, "duplicate_submission")
    erp_ref = None
    if scenario not in ("timing_difference", "missing_counterpart"):
        amount = totals[0] if scenario == "po_change_not_synced" else total
        defect = ctx.rotate("p2p_defect", DEFECTS) if scenario == "source_system_defect" else ""
        erp_ref = ap_post(ctx, s, vendor, po, number, day, amount, defect)
        if defect:
            t.exception("erp", erp_ref, P2P, "source_system_defect")
            erp_ref = None
    key = ctx.key()
    if erp_ref is None:
        for ref in members:
            t.alone("procurement", ref, P2P, day, key)
        return
    for ref in members:
        _outcome(t, "procurement", ref, key, scenario)
    _outcome(t, "erp", erp_ref, key, scenario)


def _outcome(t, system: str, ref: str, key: str, scenario: str) -> None:
    if scenario in ("mapping_error", "po_change_not_synced"):
        t.exception(system, ref, P2P, scenario, key)
    else:
        t.match(system, ref, P2P, key, "three_way_po")


def invoice(ctx: Ctx, s: Supply, vendor, po: str, lines: list, day: dt.date, scenario: str,
            number: str = "", copy: bool = False) -> tuple[int, str, int]:
    """The supplier invoice: quantities as received; prices as ordered, or (sometimes, for a
    clean three-way match) up to 0.8 % above, inside the 1 % price tolerance."""
    rng = ctx.rng
    inv_id = 50_000_000 + 1_000_000 * s.index + ctx.count("si" + s.cc)
    if not copy:
        style = _NUMBER_STYLES[vendor.invoice_style]
        number = style.format(y=day.year, n=ctx.count("sinum" + s.cc), v=vendor.supplier_id)
    drift = scenario == "three_way_po" and rng.random() < 0.1
    out, total = [], 0
    for k, _, q, p, _ in lines:
        price = p + (p * ctx.ri(1, 8) // 1000 if drift else 0)
        lt = line_total(q, price)
        total += lt
        out.append(f'{{"po_number":"{po}","line_num":{k},"quantity":"{qty_text(q)}",'
                   f'"price":"{s.amount(price)}","total":"{s.amount(lt)}"}}')
    when = min(day + dt.timedelta(days=ctx.ri(1, 3)), ctx.as_of) if copy else day
    t = s.ts(when, ctx.minute())
    s.lists["invoices"].add(
        f'{{"id":{inv_id},"invoice_number":"{number}","supplier":{{"id":{vendor.supplier_id},'
        f'"name":"{vendor.name}"}},"invoice_date":"{ISO[day]}","currency":{{"code":"{s.ccy}"}},'
        f'"total":"{s.amount(total)}","status":"approved","created_at":"{t}","updated_at":"{t}",'
        f'"invoice_lines":[{",".join(out)}]}}')
    return inv_id, number, total


def ap_post(ctx: Ctx, s: Supply, vendor, po: str, number: str, day: dt.date, amount: int,
            defect: str) -> str:
    """The AP invoice posting, 0-3 business days after the invoice date (never after as_of)."""
    p = s.cal.add(day, ctx.pick((0, 1, 1, 2, 3)))
    if p > ctx.as_of:
        p = s.cal.on_or_before(ctx.as_of)
    first = line(AP_GL, "K", -amount, number, text=vendor.name, vend=vendor.erp_id, po=po)
    offset = line(GRIR_GL, "S", amount, text=f"GR/IR {po}")
    if defect:
        return post_defective(ctx, s.cc, "RE", p, day, first, offset, defect)
    return ctx.erp.post(s.cc, "RE", p, day, [first, offset], ctx.minute())[0]


class ProcurementDay:
    def __init__(self, ctx: Ctx):
        codes = list(ctx.ent.entities)
        self.supplies = [Supply(ctx, cc, codes.index(cc)) for cc in ctx.codes]

    def run(self, ctx: Ctx, i: int, day: dt.date) -> None:
        pick, age = ctx.pickers[P2P].pick, ctx.age(day)
        for s in self.supplies:
            for _ in range(s.counts[i]):
                chain(ctx, s, day, pick(age))
