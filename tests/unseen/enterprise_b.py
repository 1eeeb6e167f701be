"""A second unseen enterprise, written from SPEC §3/§5/§10 only: the Nordvik group (Nordic/UK/Japan).

Entities: SE01 Nordvik Industri AB (SEK), GB02 Nordvik Industries Ltd (GBP), JP03 Nordvik Japan KK
(JPY, zero-decimal). fx_rates.csv: every ordered pair of EUR/USD/GBP/SEK/JPY once per business day.

Banks (six accounts, five layouts):
  SE01 SEK  Handelsbanken camt.053.001.02, weekly files of daily <Stmt>, account in ``Othr/Id``, no
            ``AcctSvcrRef`` (refs fall back to ``<Stmt/Id>#<entry position>``), Swedish OCR references
            (invoice number + Luhn digit) in ``Strd/CdtrRefInf``, value date != booking date, one
            weekly file re-sent as a ``DUPL`` copy with a new MsgId, pending (``PDNG``) entries at the end
            of some statements (no truth row: they must be ignored).
  SE01 EUR  SEB camt.053.001.06 (IBAN, AcctSvcrRef): SEPA direct-debit collections as one credit with
            3-12 ``TxDtls`` (ref ``<AcctSvcrRef>/<n>``), returned debits (``RvslInd``), supplier payment
            batches with ``TxDtls``.
  GB02 GBP  Barclays-style MT940 with free-text :86:, Stripe payouts, EUR receipts converted to GBP.
            One daily file is delivered twice under two names (same bytes).
  GB02 EUR  ABN-style MT940 with slash-coded :86: (/TRTP/.../IBAN/.../BIC/.../NAME/.../REMI/USTD//.../EREF/),
            SWIFT block envelope, :86: wrapped at 65 characters.
  GB02 USD  BAI2 (JPMorgan-style, type codes 195/165/354/495/698), ref = bank reference of the 16 record.
  JP03 JPY  MUFG-style camt.053.001.06, ``Othr/Id``: Zengin-habit payments whose only reference is the
            invoice number written in front of the half-width katakana payer name, Stripe JPY payouts,
            USD receipts converted to JPY, customers deducting their transfer fee.

bank_to_ledger (rates are shares of bank-record calls): single invoice paid, reference in another format
than the ERP (ERP ``0090012345`` in ZUONR, customer writes ``90012345``/``Faktura 90012345``) 30 %; several
invoices one credit 5 %; several invoices, ERP one bank line per invoice (1:n) 3 %; two invoices one partly
paid (ERP posts what arrived) 2 %; name only, no reference 4 %; ERP posted 6-12 days late, with reference
1.5 %; SEPA DD batch (one ERP line for the batch: n:1; or one per debtor) 9 % of records; DD return with
its reversal ~1 %; supplier payments (EndToEndId = ERP payment document number) 10 %; supplier batch with
TxDtls ~5 % of records; payment run booked as one debit vs one ERP line per vendor (1:n) 0.6 %; bank
charges and interest (monthly per account, plus per-item fees) ~2 %; FX conversion within the 2 % band 3 %.
Exceptions: amount_variance bank_fee 1.2 %, partial_payment 0.8 %, overpayment 0.6 %, fx_difference 0.5 %
(ERP bank line posted from the payment advice at the invoice amount); duplicate_submission (ERP payment
posted twice; the first posting matches, the later document is the duplicate) 1 %; bank only / ERP only,
recent (timing) or old (missing) 4 %; ERP source_system_defect (invalid currency, blank amount, unbalanced
document, impossible date) 1.2 %, whose bank counterpart is timing/missing by its own date.

billing_to_ledger: Stripe accounts for GB02 (GBP, pence) and JP03 (JPY, no minor units). Stripe Billing is
the invoice sub-ledger (its revenue reaches the ERP as a summary journal, not on customer accounts); the
ERP's customer (D) lines are the cash application: a charge is a customer payment (credit, negative) with
XBLNR = Stripe invoice number (one-off charges without invoice carry the ``ch_`` id in ZUONR instead), a
refund (half of them partial) a customer debit with the same keys. A charge matches the credit, a refund
the debit: the same money in the same direction. Failed
charges (status failed, retried later) 4 % and disputes (``adjustment`` balance transactions) 1 % have no
truth row. Payouts (daily, net of fees, refunds, disputes) match their bank credit; 30 % of the credits say
only "STRIPE". The ERP books payouts on the Stripe clearing account through a settlement journal (not a
bank GL), so a payout credit belongs to billing_to_ledger only. Exceptions: charge without ERP line 3 %,
ERP invoice whose only charge failed 2 %, ERP invoice posted twice 1.5 %, ERP line on another billed
customer than customers.csv maps (mapping_error) 1.5 %, ERP amount differs (amount_variance/other) 1.5 %,
refund without credit memo 10 % of refunds, payout in transit or never credited.

procure_to_pay (SE01, GB02): 1-5 line POs, 40 % changed (v2) and 15 % twice (v3), 20 % of lines partially
received (sometimes in two receipts) and invoiced for the received part, 15 % of invoices priced within
1 % of the PO; ERP MIRO documents (51xxxxxxxx) with the K line carrying EBELN and GR/IR S lines. Exceptions
(all records of the chain take the cause): po_change_not_synced 30 % of changed POs (ERP at the older
price), mapping_error 3 % (ERP vendor differs from vendors.csv), duplicate invoice in procurement 2 % (the
later id), chain without ERP posting 6 % (timing if the chain is <= 20 days old, missing if >= 40 days).

intercompany: SE01->GB02 recharges, SE01->JP03 management fees, GB02->SE01 loan interest; payable booked in
the receivable's currency, or converted at the posting-date rate (exactly, or 0.3-1.5 % off: within the band).
Exceptions: imbalance 3-12 % off 8 %, one side only (timing <= 6 days / missing >= 15 days) 10 %, unknown
trading partner code on one side (mapping_error for both) 3 %.

Readings where the SPEC is open (a controller's view): a disagreeing pair and every record of a
procurement chain that cannot match carry the pair's cause; timing vs missing is measured from each
record's own date, and planted cases stay well away from the window edge; the later of two identical ERP
postings is the duplicate, the earlier matches; a Zengin payer name starting with the invoice number is a
reference; a PO's truth row is its latest version only; a Coupa invoice's ref is its ``id``.
"""

from __future__ import annotations

import csv
import json
import random
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

D = Decimal
TRUTH_COLS = ["source_system", "source_ref", "workflow", "expected", "match_key", "match_kind", "cause", "sub_cause"]
CCYS = ["EUR", "USD", "GBP", "SEK", "JPY"]
EUR_RATE = {"EUR": D(1), "USD": D("1.08"), "GBP": D("0.86"), "SEK": D("11.25"), "JPY": D("163.0")}
RANGE = {"SEK": (2000, 400000), "EUR": (150, 40000), "GBP": (100, 30000), "USD": (150, 45000), "JPY": (20000, 5000000)}
ENT = {"SE01": ("Nordvik Industri AB", "SEK"), "GB02": ("Nordvik Industries Ltd", "GBP"), "JP03": ("Nordvik Japan KK", "JPY")}
INV_PREFIX = {"SE01": "0090", "GB02": "0091", "JP03": "0092"}
ACCTS = {  # key: company, currency, GL, layout, statement account id, bank gives its own entry refs
    "SE_SEK": dict(cc="SE01", ccy="SEK", gl="1931", fmt="camt02", bic="HANDSESS"),
    "SE_EUR": dict(cc="SE01", ccy="EUR", gl="1932", fmt="camt06", bic="ESSESESS"),
    "GB_GBP": dict(cc="GB02", ccy="GBP", gl="1210", fmt="mt940txt", bic="BARCGB22"),
    "GB_EUR": dict(cc="GB02", ccy="EUR", gl="1215", fmt="mt940nl", bic="ABNANL2A"),
    "GB_USD": dict(cc="GB02", ccy="USD", gl="1220", fmt="bai2", bic="CHASUS33"),
    "JP_JPY": dict(cc="JP03", ccy="JPY", gl="1110", fmt="camt06", bic="BOTKJPJT"),
}
SE_WORDS = (["Kungsholmens", "Norrlands", "Göta", "Vasa", "Ekens", "Björkå", "Solna", "Fjällvägens", "Älvdalens",
             "Skogsbrukets", "Hamnens", "Östra"], ["Bygg", "Trä", "Stål", "Logistik", "Konsult", "Energi", "Verkstad",
                                                   "Elteknik", "Data"])
UK_WORDS = (["Thames", "Pennine", "Mersey", "Cotswold", "Harbour", "Kestrel", "Ashdown", "Oakridge", "Whitby",
             "Camden", "Severn"], ["Engineering", "Supplies", "Logistics", "Foods", "Digital", "Partners", "Textiles",
                                   "Marine Services"])
EU_WORDS = (["Van Dijk", "Jansen", "Bakker", "De Vries", "Müller", "Schmidt", "Hoffmann", "Visser", "Smit", "Brouwer"],
            ["Handel BV", "Techniek BV", "GmbH", "Logistik GmbH", "Installatie BV"])
US_WORDS = (["Lakeside", "Redwood", "Summit", "Bayview", "Granite", "Prairie", "Hudson"],
            ["Industries Inc", "Supply Co", "Systems LLC", "Manufacturing Inc"])
JP_NAMES = [("Sakura Shoji KK", "ｻｸﾗｼﾖｳｼﾞ(ｶ"), ("Fuji Kogyo KK", "ﾌｼﾞｺｳｷﾞﾖｳ(ｶ"), ("Midori Denki KK", "ﾐﾄﾞﾘﾃﾞﾝｷ(ｶ"),
            ("Yamato Trading KK", "ﾔﾏﾄﾄﾚｰﾃﾞｲﾝｸﾞ(ｶ"), ("Hikari Seiko KK", "ﾋｶﾘｾｲｺｳ(ｶ"),
            ("Aozora Butsuryu KK", "ｱｵｿﾞﾗﾌﾞﾂﾘﾕｳ(ｶ"), ("Kaede Foods KK", "ｶｴﾃﾞﾌｰｽﾞ(ｶ"),
            ("Tsubasa Kensetsu KK", "ﾂﾊﾞｻｹﾝｾﾂ(ｶ"), ("Minato Seimitsu KK", "ﾐﾅﾄｾｲﾐﾂ(ｶ"),
            ("Hoshino Shokai KK", "ﾎｼﾉｼﾖｳｶｲ(ｶ")]


def q(x: Decimal, ccy: str) -> Decimal:
    return x.quantize(D(1) if ccy == "JPY" else D("0.01"), ROUND_HALF_UP)


def iban(country: str, bban: str) -> str:
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def luhn(digits: str) -> str:
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return digits + str((10 - total % 10) % 10)


def bankish(name: str) -> str:
    """How a bank prints a payer: upper case, no diacritics, legal form dropped or cut at 22."""
    t = name.upper().translate(str.maketrans("ÅÄÖÜÉ", "AAOUE"))
    return t[:22].rstrip()


@dataclass
class Tx:
    amount: Decimal
    name: str = ""
    acct: str = ""
    remit: str = ""
    strd: str = ""
    e2e: str = ""
    instd: tuple | None = None
    truth: tuple | None = None  # (workflow, expected, key, kind, cause, sub)


@dataclass
class Entry:
    acct: str
    book: date
    value: date
    credit: bool
    txs: list
    code: str = "TRF"
    pending: bool = False
    reversal: bool = False
    info: str = ""
    batch: str = ""
    ref: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((t.amount for t in self.txs), D(0))


def M(wf, key, kind):
    return (wf, "match", key, kind, "", "")


def X(wf, cause, kind, key="", sub=""):
    return (wf, "exception", key, kind, cause, sub)


class Gen:
    def __init__(self, seed: int, n: int, as_of: date):
        self.r, self.n, self.as_of = random.Random(seed), n, as_of
        self.start = as_of - timedelta(days=84)
        self.days = [self.start + timedelta(i) for i in range(85) if (self.start + timedelta(i)).weekday() < 5]
        self.truth: list[dict] = []
        self.erp: list[dict] = []
        self.entries: list[Entry] = []
        self.counters: dict = {}
        self.keyn = 0
        self.bank_records = 0
        self.fx = self._fx()
        self.customers = {a: self._customers(a) for a in ACCTS}
        self.vendors = {cc: self._vendors(cc) for cc in ENT}
        self.stripe: dict[str, dict[str, list]] = {}
        self.proc: dict[str, list] = {"purchase_orders": [], "receipts": [], "invoices": []}
        self.customers_csv: list = []
        self.vendors_csv: list = []

    # ---------------------------------------------------------------- helpers
    def key(self, p: str) -> str:
        self.keyn += 1
        return f"{p}{self.keyn:06d}"

    def uid(self, prefix: str, k: int = 24) -> str:
        return prefix + "".join(self.r.choices(string.ascii_letters + string.digits, k=k))

    def num(self, name: str, start: int) -> int:
        self.counters[name] = self.counters.get(name, start) + self.r.randint(1, 3)
        return self.counters[name]

    def amt(self, ccy: str, lo=None, hi=None) -> Decimal:
        a, b = RANGE[ccy]
        lo, hi = lo or a, hi or b
        v = D(round(lo * (hi / lo) ** self.r.random(), 2))
        return q(v, ccy)

    def day(self, lo: int, hi: int) -> date:
        c = [d for d in self.days if lo <= (self.as_of - d).days <= hi]
        return self.r.choice(c)

    def bday(self, d: date, k: int) -> date:
        while k > 0 or d.weekday() >= 5:
            d += timedelta(1)
            k -= d.weekday() < 5
        return d

    def rate(self, a: str, b: str, d: date) -> Decimal:
        """The rate as fx_rates.csv states it: the written pair, or the inverse of the written pair."""
        while d not in self.fx:
            d -= timedelta(1)
        if a == b:
            return D(1)
        return self.fx[d][(a, b)] if CCYS.index(a) < CCYS.index(b) else 1 / self.fx[d][(b, a)]

    def conv(self, x: Decimal, a: str, b: str, d: date) -> Decimal:
        return q(x * self.rate(a, b, d), b)

    def _fx(self) -> dict:
        lvl, out = dict(EUR_RATE), {}
        first = self.start - timedelta(70)  # rates also for invoices dated before the statements
        for d in (first + timedelta(i) for i in range((self.as_of - first).days + 1)):
            if d.weekday() >= 5:
                continue
            lvl = {c: (v * D(str(1 + self.r.uniform(-0.004, 0.004)))) for c, v in lvl.items()}
            lvl["EUR"] = D(1)
            rates = {}
            for a in CCYS:
                for b in CCYS:
                    if a != b:
                        rates[(a, b)] = (lvl[b] / lvl[a]).quantize(D("0.000001"))
            out[d] = rates
        return out

    def _customers(self, acct: str) -> list:
        words = {"SE_SEK": SE_WORDS, "SE_EUR": EU_WORDS, "GB_GBP": UK_WORDS, "GB_EUR": EU_WORDS, "GB_USD": US_WORDS}
        out = []
        if acct == "JP_JPY":
            for i, (rom, kana) in enumerate(JP_NAMES):
                out.append(dict(no=f"6{i:05d}", name=rom, kana=kana, iban=f"{self.r.randint(10**9, 10**10 - 1)}"))
            return out
        a, b = words[acct]
        cc = {"SE_SEK": "SE", "SE_EUR": "DE", "GB_GBP": "GB", "GB_EUR": "NL", "GB_USD": "US"}[acct]
        names = sorted({f"{x} {y}" + (" AB" if acct == "SE_SEK" else " Ltd" if acct == "GB_GBP" else "") for x in a
                        for y in b})
        for i, nm in enumerate(self.r.sample(names, min(28, len(names)))):
            acc = iban(cc, f"{self.r.randint(10**15, 10**16 - 1)}") if cc in ("DE", "NL", "GB", "SE") else ""
            out.append(dict(no=f"{1 + list(ACCTS).index(acct)}{i:05d}", name=nm, kana="", iban=acc))
        return out

    def _vendors(self, cc: str) -> list:
        a, b = {"SE01": SE_WORDS, "GB02": UK_WORDS, "JP03": UK_WORDS}[cc]
        names = sorted({f"{x} {y}" for x in a for y in b})
        return [dict(no=f"{7 + list(ENT).index(cc)}{i:05d}", supplier=str(4100 + 37 * i + list(ENT).index(cc)),
                     name=nm) for i, nm in enumerate(self.r.sample(names, 20))]

    def t(self, system: str, ref: str, tr: tuple) -> None:
        wf, exp, key, kind, cause, sub = tr
        self.truth.append(dict(source_system=system, source_ref=ref, workflow=wf, expected=exp, match_key=key,
                               match_kind=kind, cause=cause, sub_cause=sub))

    # ---------------------------------------------------------------- ERP
    def doc(self, cc: str, dtype: str, series: int, post: date, lines: list[dict], ccy: str | None = None,
            docdate: date | None = None, defect: str = "") -> list[str]:
        loc = ENT[cc][1]
        ccy = ccy or loc
        no = self.num(f"{cc}{series}", series * 10**8)
        stamp = datetime.combine(post, datetime.min.time()) + timedelta(seconds=self.r.randint(7 * 3600, 19 * 3600))
        refs = []
        local = [self.conv(ln["amount"], ccy, loc, post) for ln in lines]
        big = max(range(len(lines)), key=lambda j: abs(local[j]))
        local[big] -= sum(local, D(0)) - self.conv(sum((ln["amount"] for ln in lines), D(0)), ccy, loc, post)
        for i, ln in enumerate(lines, 1):  # a document balances in local currency too (SAP rounding line)
            amount = ln["amount"]
            gl = ln.get("gl") or {"D": "1510", "K": "2440"}.get(ln.get("type", "S"), "")
            row = dict(company_code=cc, fiscal_year=post.year, document_number=no, line_item=i, document_type=dtype,
                       posting_date=post.isoformat(), document_date=(docdate or post).isoformat(),
                       entry_timestamp=stamp.isoformat(), gl_account=gl,
                       account_type=ln.get("type", "S"), customer=ln.get("customer", ""),
                       vendor=ln.get("vendor", ""), amount=str(amount), currency=ccy,
                       amount_local=str(local[i - 1]), local_currency=loc,
                       reference=ln.get("reference", ""), assignment=ln.get("assignment", ""),
                       text=ln.get("text", ""), clearing_document=ln.get("clearing", ""),
                       clearing_date=ln.get("clearing_date", ""), trading_partner=ln.get("tp", ""),
                       purchase_order=ln.get("po", ""))
            if ln.get("defect") == "currency":
                row["currency"] = "SKR" if ccy == "SEK" else ccy[:2] + "X" if ccy != "EUR" else "EUX"
            elif ln.get("defect") == "blank":
                row["amount"] = ""
            elif ln.get("defect") == "date":
                row["posting_date"] = f"{post.year}-{post.month:02d}-{31 if post.month in (4, 6, 9, 11) else 32}"
            self.erp.append(row)
            ref = f"{cc}/{post.year}/{no}/{i}"
            refs.append(ref)
            if ln.get("truth"):
                self.t("erp", ref, ln["truth"])
        return refs

    def invoice_doc(self, cust: dict, cc: str, inv: str, amount: Decimal, ccy: str, post: date) -> None:
        """Customer invoice (out of scope for non-billed customers): D line, revenue and VAT lines."""
        vat = q(amount * D("0.2"), ccy)
        self.doc(cc, "RV", 18, post, [
            dict(type="D", gl="1510", customer=cust["no"], amount=amount, reference=inv, assignment=inv,
                 text=cust["name"]),
            dict(gl="3010", amount=-(amount - vat), text="Sales"), dict(gl="2611", amount=-vat, text="Output VAT")],
            ccy=ccy)

    # ---------------------------------------------------------------- bank entries
    def entry(self, acct: str, book: date, credit: bool, txs: list, value: date | None = None, **kw) -> Entry:
        while book >= self.as_of or book.weekday() >= 5:  # statements run to the day before as_of
            book -= timedelta(1)
        if value is None:
            value = book if self.r.random() < 0.7 else book + timedelta(self.r.choice([-1, 1, 2]))
        e = Entry(acct, book, value, credit, txs, **kw)
        self.entries.append(e)
        self.bank_records += 0 if e.pending else len(txs)
        return e

    def new_invoice(self, cc: str) -> str:
        return f"{INV_PREFIX[cc]}{self.num('inv' + cc, 10**6 * (1 + list(ENT).index(cc))) % 10**6:06d}"

    def remit_for(self, acct: str, invs: list[str], cust: dict) -> tuple[str, str, str]:
        """(remittance text, structured ref, payer name) as this account's customers write them."""
        short = [i.lstrip("0") for i in invs]
        name = bankish(cust["name"])
        if acct == "SE_SEK":
            if len(invs) == 1 and self.r.random() < 0.35:
                return "", luhn(short[0]), name
            return self.r.choice(["Faktura ", "Fakt nr ", "Fakturanr: "]) + " ".join(short), "", name
        if acct == "JP_JPY":
            if self.r.random() < 0.6:
                return "", "", f"{short[0]} {cust['kana']}"
            return "INV " + ",".join(short), "", cust["kana"]
        if acct in ("SE_EUR", "GB_EUR"):
            return self.r.choice(["INV ", "Rechnung ", "factuur ", "Invoice "]) + " ".join(short), "", name
        if acct == "GB_USD":
            return self.r.choice(["INV# ", "INVOICE ", "PMT INV "]) + " ".join(short), "", name
        return self.r.choice(["INV ", "INVOICE ", "", "REF "]) + " ".join(
            invs if self.r.random() < 0.3 else short), "", name

    def customer_payment(self, style: str = "single", outcome: str = "match") -> None:
        acct = self.r.choices(list(ACCTS), [30, 15, 25, 10, 10, 10])[0]
        if style == "name" and acct == "JP_JPY":
            acct = "GB_GBP"
        a = ACCTS[acct]
        cc, ccy, gl = a["cc"], a["ccy"], a["gl"]
        cust = self.r.choice(self.customers[acct])
        k = {"single": 1, "name": 1, "late": 1, "multi": self.r.randint(2, 5), "split": self.r.randint(2, 6),
             "partial": 2}[style]
        invs = [self.new_invoice(cc) for _ in range(k)]
        amts = [self.amt(ccy) if k == 1 else self.amt(ccy, hi=RANGE[ccy][1] // 4) for _ in range(k)]
        recent = outcome in ("bank_only_recent", "erp_only_recent", "defect_recent")
        d = self.day(1, 3) if recent else self.day(9, 70) if outcome in (
            "bank_only_old", "erp_only_old", "defect_old") else self.day(4, 75)
        for inv, x in zip(invs, amts, strict=True):
            self.invoice_doc(cust, cc, inv, x, ccy, d - timedelta(self.r.randint(12, 45)))
        paid = sum(amts, D(0))
        if style == "partial":
            paid = amts[0] + q(amts[1] * D(str(self.r.uniform(0.2, 0.8))), ccy)
        erp_amt, bank_amt, sub = paid, paid, ""
        if outcome == "bank_fee":
            fee = {"JPY": D(self.r.choice([440, 660, 880])), "SEK": D(self.r.choice([25, 50, 95]))}.get(
                ccy, D(self.r.choice(["6.50", "12.00", "15.00", "25.00"])))
            bank_amt, sub = paid - fee, "bank_fee"
        elif outcome == "partial_payment":
            bank_amt, sub = q(paid * D(str(self.r.uniform(0.3, 0.7))), ccy), "partial_payment"
        elif outcome == "overpayment":
            bank_amt, sub = q(paid * D(str(self.r.uniform(1.05, 1.2))), ccy), "overpayment"
        remit, strd, name = self.remit_for(acct, invs, cust)
        if style == "name":
            remit, strd = self.r.choice(["", "PAYMENT", "BETALNING", "Thank you"]), ""
        key = self.key("B")
        lag = self.r.randint(6, 12) if style == "late" else self.r.randint(0, 2)
        post = min(self.bday(d, lag), self.as_of)
        wf = "bank_to_ledger"
        kind = f"cust_{style}_{acct}"
        if outcome == "match":
            btr = M(wf, key, kind)
        elif outcome in ("bank_fee", "partial_payment", "overpayment"):
            btr = X(wf, "amount_variance", kind + "_" + sub, key, sub)
        elif outcome == "bank_only_recent" or outcome == "defect_recent":
            btr = X(wf, "timing_difference", kind + "_" + outcome, key)
        elif outcome in ("bank_only_old", "defect_old"):
            btr = X(wf, "missing_counterpart", kind + "_" + outcome, key)
        elif outcome == "dup":
            btr = M(wf, key, kind + "_erp_duplicate")
        else:
            btr = None
        if btr:
            self.entry(acct, d, True, [Tx(bank_amt, name, cust["iban"], remit, strd, e2e=self.e2e_for(acct),
                                          truth=btr)], info="Inbetalning" if acct == "SE_SEK" else "")
        if outcome.startswith("bank_only"):
            return
        etr = btr if outcome in ("match", "dup") else None
        if outcome in ("bank_fee", "partial_payment", "overpayment"):
            etr = X(wf, "amount_variance", kind + "_" + sub, key, sub)
        if outcome.startswith("erp_only"):
            etr = X(wf, "timing_difference" if outcome.endswith("recent") else "missing_counterpart",
                    kind + "_" + outcome, key)
            post = d
        if outcome.startswith("defect"):
            etr = X(wf, "source_system_defect", kind + "_defect", key)
        erp_amt = bank_amt if outcome in ("match", "dup") or outcome.startswith(("erp_only", "defect")) else erp_amt
        in_ref = self.r.random() < 0.2
        text = cust["name"] if self.r.random() < 0.7 or style == "name" else ""
        defect = self.r.choice(["currency", "blank", "unbalanced", "date"]) if outcome.startswith("defect") else ""
        if style == "split":
            bank_lines = [dict(gl=gl, amount=x, assignment=i, text=text, truth=etr) for i, x in zip(invs, amts, strict=True)]
        else:
            bank_lines = [dict(gl=gl, amount=erp_amt, assignment="" if style == "name" else invs[0],
                               reference=invs[0] if in_ref and style != "name" else "", text=text, truth=etr,
                               defect=defect if defect != "unbalanced" else "")]
        d_lines = [dict(type="D", gl="1510", customer=cust["no"], amount=-x, assignment=i, text=cust["name"])
                   for i, x in zip(invs, amts, strict=True)]
        if style == "partial":
            d_lines[1]["amount"] = -(paid - amts[0])
        if erp_amt != paid:
            d_lines.append(dict(gl="6570" if sub == "bank_fee" else "1590", amount=paid - erp_amt, text="Difference"))
        if defect == "unbalanced":
            d_lines[0]["amount"] -= 100
        if style == "name":
            for ln in d_lines:
                ln["assignment"] = ""
        self.doc(cc, "DZ", 14, post, bank_lines + d_lines, ccy=ccy)
        if outcome == "dup":
            dup = dict(bank_lines[0], truth=X(wf, "duplicate_submission", kind + "_erp_duplicate", key))
            self.doc(cc, "DZ", 14, post, [dup] + [dict(ln) for ln in d_lines], ccy=ccy)

    def e2e_for(self, acct: str) -> str:
        return "" if acct in ("GB_GBP", "GB_USD", "JP_JPY") else self.r.choice(["NOTPROVIDED", self.uid("E2E", 12)])

    def fx_receipt(self, outcome: str = "match") -> None:
        acct, fccy = self.r.choice([("GB_GBP", "EUR"), ("JP_JPY", "USD"), ("GB_GBP", "USD")])
        a = ACCTS[acct]
        cust = self.r.choice(self.customers[acct])
        inv = self.new_invoice(a["cc"])
        x = self.amt(fccy, hi=20000)
        d = self.day(4, 75)
        dev = self.r.uniform(-0.012, 0.012) if outcome == "match" else self.r.choice([-1, 1]) * self.r.uniform(0.03, 0.06)
        local = q(x * self.rate(fccy, a["ccy"], d) * D(str(1 + dev)), a["ccy"])
        self.invoice_doc(cust, a["cc"], inv, x, fccy, d - timedelta(20))
        key, kind = self.key("F"), f"fx_conversion_{fccy}_to_{a['ccy']}"
        tr = M("bank_to_ledger", key, kind) if outcome == "match" else X(
            "bank_to_ledger", "amount_variance", kind + "_beyond_band", key, "fx_difference")
        self.entry(acct, d, True, [Tx(local, bankish(cust["name"]) if acct != "JP_JPY" else cust["kana"], cust["iban"],
                                      f"INV {inv.lstrip('0')} {fccy} {x} @ {(local / x).quantize(D('0.0001'))}",
                                      instd=(fccy, x), truth=tr)])
        post = self.bday(d, self.r.randint(0, 1))
        self.doc(a["cc"], "DZ", 14, post, [dict(gl=a["gl"], amount=x, assignment=inv, text=cust["name"], truth=tr),
                                            dict(type="D", gl="1510", customer=cust["no"], amount=-x, assignment=inv)],
                 ccy=fccy)

    def dd_batch(self, per_debtor: bool) -> None:
        d = self.day(4, 75)
        custs = self.r.sample(self.customers["SE_EUR"], self.r.randint(3, 12))
        pmtinf = f"DD{d:%Y%m%d}-{self.r.randint(1, 99):02d}"
        txs, lines = [], []
        gkey = self.key("DD")
        post = self.bday(d, self.r.randint(0, 1))
        for c in custs:
            inv = self.new_invoice("SE01")
            x = self.amt("EUR", 30, 3000)
            self.invoice_doc(c, "SE01", inv, x, "EUR", d - timedelta(14))
            e2e = f"{pmtinf}-{inv[-6:]}"
            key = self.key("DD") if per_debtor else gkey
            tr = M("bank_to_ledger", key, "dd_batch_per_debtor" if per_debtor else "dd_batch_one_erp_line")
            txs.append(Tx(x, bankish(c["name"]), c["iban"], f"Subscription {inv.lstrip('0')}", e2e=e2e, truth=tr))
            lines.append(dict(type="D", gl="1510", customer=c["no"], amount=-x, assignment=inv))
            if per_debtor:
                self.doc("SE01", "DZ", 14, post, [dict(gl="1932", amount=x, reference=e2e, text=c["name"], truth=tr),
                                                  lines[-1]], ccy="EUR")
        self.entry("SE_EUR", d, True, txs, code="DDT", batch=pmtinf, info="SEPA DIRECT DEBIT COLLECTION")
        if not per_debtor:
            tot = sum((t.amount for t in txs), D(0))
            self.doc("SE01", "DZ", 14, post, [dict(gl="1932", amount=tot, assignment=pmtinf, text="SEPA DD collection",
                                                   truth=M("bank_to_ledger", gkey, "dd_batch_one_erp_line"))] + lines,
                     ccy="EUR")

    def dd_return(self) -> None:
        d = self.day(12, 75)
        c = self.r.choice(self.customers["SE_EUR"])
        inv, x = self.new_invoice("SE01"), self.amt("EUR", 30, 3000)
        e2e = f"DD{d:%Y%m%d}-{inv[-6:]}"
        k1, k2 = self.key("R"), self.key("R")
        self.entry("SE_EUR", d, True, [Tx(x, bankish(c["name"]), c["iban"], f"Subscription {inv.lstrip('0')}", e2e=e2e,
                                          truth=M("bank_to_ledger", k1, "dd_original"))], code="DDT")
        back = self.bday(d, self.r.randint(2, 5))
        self.entry("SE_EUR", back, False, [Tx(x, bankish(c["name"]), c["iban"], f"RETURN MD06 {inv.lstrip('0')}",
                                              e2e=e2e, truth=M("bank_to_ledger", k2, "dd_return_reversal"))],
                   code="DDT", reversal=True, value=d)
        self.doc("SE01", "DZ", 14, d, [dict(gl="1932", amount=x, reference=e2e, text=c["name"],
                                            truth=M("bank_to_ledger", k1, "dd_original")),
                                       dict(type="D", gl="1510", customer=c["no"], amount=-x, assignment=inv)], ccy="EUR")
        self.doc("SE01", "DZ", 14, self.bday(back, 1), [
            dict(gl="1932", amount=-x, reference=e2e, text="DD return MD06 " + c["name"],
                 truth=M("bank_to_ledger", k2, "dd_return_reversal")),
            dict(type="D", gl="1510", customer=c["no"], amount=x, assignment=inv)], ccy="EUR")

    def supplier_payment(self, mode: str = "single", outcome: str = "match") -> None:
        accts = {"single": ["SE_SEK", "SE_EUR", "GB_GBP", "GB_EUR", "GB_USD", "JP_JPY"], "batch": ["SE_SEK", "SE_EUR"],
                 "run": ["SE_SEK", "JP_JPY", "GB_GBP"]}[mode]
        acct = self.r.choice(accts)
        a = ACCTS[acct]
        cc, ccy = a["cc"], a["ccy"]
        recent = outcome.endswith("recent")
        d = self.day(1, 3) if recent else self.day(9, 70) if outcome.endswith("old") else self.day(4, 75)
        k = 1 if mode == "single" else self.r.randint(2, 8)
        vendors = self.r.sample(self.vendors[cc], k)
        run = f"F110-{d:%Y%m%d}-{cc}-{self.r.randint(1, 9)}"
        gkey = self.key("S")
        txs, wf = [], "bank_to_ledger"
        for v in vendors:
            x = self.amt(ccy, hi=RANGE[ccy][1] // 2)
            vinv = f"{self.r.choice(['F', 'INV-', ''])}{self.r.randint(10000, 999999)}"
            key = gkey if mode == "run" else self.key("S")
            kind = "supplier_run_single_debit" if mode == "run" else f"supplier_{mode}_{acct}"
            tr = {"match": M(wf, key, kind), "bank_only_old": X(wf, "missing_counterpart", kind + "_bank_only", key),
                  "erp_only_recent": X(wf, "timing_difference", kind + "_erp_only", key),
                  "erp_only_old": X(wf, "missing_counterpart", kind + "_erp_only", key)}[outcome]
            no_holder: list = []
            if outcome != "bank_only_old":
                refs = self.doc(cc, "ZP", 20, d, [
                    dict(type="K", vendor=v["no"], amount=x, assignment=vinv, text=v["name"]),
                    dict(gl=a["gl"], amount=-x, assignment=run, text=v["name"] if self.r.random() < 0.5 else "",
                         truth=tr)], ccy=ccy)
                no_holder.append(refs[0].split("/")[2])
            docno = no_holder[0] if no_holder else str(self.num(f"{cc}20", 20 * 10**8))
            txs.append(Tx(x, bankish(v["name"]), "", f"{vinv}", e2e=docno, truth=tr))
        if outcome.startswith("erp_only"):
            return
        book = self.bday(d, self.r.randint(0, 1))
        if mode == "run":
            tot = sum((t.amount for t in txs), D(0))
            self.entry(acct, book, False, [Tx(tot, "", "", run, e2e=run, truth=M(wf, gkey, "supplier_run_single_debit"))],
                       batch=run, info=f"PAYMENT RUN {run} {k} PAYMENTS")
        elif mode == "batch":
            self.entry(acct, book, False, txs, batch=run, info="LEVERANTORSBETALNINGAR" if acct == "SE_SEK" else "SCT")
        else:
            self.entry(acct, book, False, txs)

    def bank_cost(self, acct: str, d: date, interest: bool, outcome: str = "match") -> None:
        a = ACCTS[acct]
        ccy = a["ccy"]
        x = self.amt(ccy, *({"JPY": (100, 9000), "SEK": (40, 3000)}.get(ccy, (3, 300))))
        key = self.key("C")
        kind = ("interest" if interest else "bank_charge") + f"_{acct}"
        tr = M("bank_to_ledger", key, kind) if outcome == "match" else X(
            "bank_to_ledger", "timing_difference", kind + "_erp_not_yet", key)
        label = ("INTEREST CREDIT" if interest else self.r.choice(["ACCOUNT FEES", "CHARGES", "TRANSFER FEE"])) + \
            f" {d:%b %Y}".upper()
        self.entry(acct, d, interest, [Tx(x, "", "", label, truth=tr)], code="INT" if interest else "CHG", value=d)
        if outcome == "match":
            self.doc(a["cc"], "SA", 1, min(self.bday(d, self.r.randint(0, 3)), self.as_of), [
                dict(gl=a["gl"], amount=x if interest else -x, text=label.title(), truth=tr),
                dict(gl="8310" if interest else "6570", amount=-x if interest else x, text=label.title())], ccy=ccy)

    # ---------------------------------------------------------------- billing (Stripe)
    def billing(self) -> None:
        for cc, acct, ccy in (("GB02", "GB_GBP", "GBP"), ("JP03", "JP_JPY", "JPY")):
            st = self.stripe.setdefault(cc, {k: [] for k in ("charges", "refunds", "payouts", "invoices",
                                                             "balance_transactions")})
            custs = []
            for i in range(max(12, self.n // 60)):
                cid = self.uid("cus_", 14)
                nm = (self.r.choice(UK_WORDS[0]) + " " + self.r.choice(["Studio", "Cafe", "Clinic", "Labs", "Shop"])
                      if cc == "GB02" else self.r.choice(JP_NAMES)[0].replace(" KK", f" {i}"))
                custs.append(dict(id=cid, erp=f"{41 if cc == 'GB02' else 42}{i:04d}", name=nm, prefix=self.uid("", 8).upper()))
                self.customers_csv.append([cid, custs[-1]["erp"], nm, cc])
            per_day = max(1, round(self.n * 0.09 / (2 * len(self.days))))
            pending: list = []  # balance transactions not yet paid out
            for d in self.days:
                for _ in range(self.r.randint(per_day // 2, per_day * 3 // 2 + 1)):
                    self.stripe_charge(cc, ccy, custs, d, st, pending)
                self.payout(cc, acct, ccy, d, st, pending)

    def ts(self, d: date, tz_hours: int) -> int:
        local = datetime.combine(d, datetime.min.time()) + timedelta(seconds=self.r.randint(8 * 3600, 21 * 3600))
        return int((local - timedelta(hours=tz_hours)).replace(tzinfo=UTC).timestamp())

    def stripe_charge(self, cc, ccy, custs, d, st, pending) -> None:
        cust = self.r.choice(custs)
        minor = 1 if ccy == "JPY" else 100
        x = self.amt(ccy, *((1000, 300000) if ccy == "JPY" else (9, 2500)))
        tz = 9 if ccy == "JPY" else 0
        created = self.ts(d, tz)
        age = (self.as_of - d).days
        roll = self.r.random()
        wf = "billing_to_ledger"
        outcome = "match"
        if roll < 0.03 and (age <= 4 or age >= 12):
            outcome = "no_erp"
        elif roll < 0.05 and (age <= 4 or age >= 12):
            outcome = "only_failed"
        elif roll < 0.065:
            outcome = "dup"
        elif roll < 0.08:
            outcome = "mapping"
        elif roll < 0.095:
            outcome = "variance"
        one_off = self.r.random() < 0.12 and outcome != "only_failed"
        key = self.key("P")
        inv_id, number = self.uid("in_"), f"{cust['prefix']}-{self.num('sinv' + cust['id'], 0):04d}"
        ch_id = self.uid("ch_3")
        kind = "stripe_" + ("one_off" if one_off else "invoice") + f"_{ccy}"
        if self.r.random() < 0.04 or outcome == "only_failed":
            fid = self.uid("ch_3")
            st["charges"].append(dict(id=fid, object="charge", amount=int(x * minor), amount_captured=0, amount_refunded=0,
                                      balance_transaction=None, created=created - 86400 * self.r.randint(1, 3),
                                      currency=ccy.lower(), customer=cust["id"], description=f"Invoice {number}",
                                      invoice=None if one_off else inv_id, paid=False, captured=False, refunded=False,
                                      status="failed", failure_code="card_declined", disputed=False,
                                      failure_message="Your card was declined.", livemode=True, metadata={}))
        if not one_off:
            st["invoices"].append(dict(id=inv_id, object="invoice", number=number, customer=cust["id"],
                                       currency=ccy.lower(), amount_due=int(x * minor),
                                       amount_paid=0 if outcome == "only_failed" else int(x * minor),
                                       total=int(x * minor), status="open" if outcome == "only_failed" else "paid",
                                       charge=None if outcome == "only_failed" else ch_id, created=created - 600,
                                       livemode=True))
        post = d if self.r.random() < 0.7 else max(self.start, d - timedelta(1))
        erp_cust = cust["erp"]
        if outcome == "mapping":
            erp_cust = self.r.choice([c for c in custs if c is not cust])["erp"]
        erp_x = q(x * D(str(self.r.uniform(1.05, 1.25))), ccy) if outcome == "variance" else x
        ctr = {"match": M(wf, key, kind), "dup": M(wf, key, kind + "_erp_dup"),
               "mapping": X(wf, "mapping_error", kind + "_erp_other_customer", key),
               "variance": X(wf, "amount_variance", kind + "_erp_amount_differs", key, "other"),
               "no_erp": X(wf, "timing_difference" if age <= 4 else "missing_counterpart", kind + "_no_erp", key),
               "only_failed": X(wf, "timing_difference" if age <= 4 else "missing_counterpart",
                                "stripe_only_failed_charge", key)}[outcome]
        if outcome != "no_erp":
            ref, asg = ("", ch_id) if one_off else (number, "")
            lines = [dict(type="D", gl="1510", customer=erp_cust, amount=-erp_x, reference=ref, assignment=asg,
                          text=f"Stripe payment {cust['name']}", truth=ctr),
                     dict(gl="1290", amount=erp_x, text="Stripe clearing")]
            self.doc(cc, "DZ", 14, post, lines, docdate=d)
            if outcome == "dup":
                self.doc(cc, "DZ", 14, post, [dict(lines[0], truth=X(wf, "duplicate_submission", kind + "_erp_dup", key)),
                                              lines[1]], docdate=d)
        if outcome == "only_failed":
            return
        fee = q(x * D("0.036"), ccy) if ccy == "JPY" else q(x * D("0.015") + D("0.20"), ccy)
        txn = self.uid("txn_3")
        avail = self.bday(d, 4 if ccy == "JPY" else 2)
        disputed = self.r.random() < 0.01
        charge = dict(id=ch_id, object="charge", amount=int(x * minor), amount_captured=int(x * minor), amount_refunded=0,
                      balance_transaction=txn, created=created, currency=ccy.lower(), customer=cust["id"],
                      description=None if one_off else f"Invoice {number}", invoice=None if one_off else inv_id,
                      paid=True, captured=True, refunded=False, status="succeeded", disputed=disputed,
                      failure_code=None, livemode=True, metadata={}, billing_details={"name": cust["name"]})
        st["charges"].append(charge)
        self.t("billing", ch_id, ctr)
        self.bt(st, pending, txn, x, fee, "charge", ch_id, created, avail, ccy, "charge")
        if disputed and d < self.days[-6]:
            dd = self.bday(d, 5)
            dfee = D(1500) if ccy == "JPY" else D(15)
            self.bt(st, pending, self.uid("txn_3"), -x, dfee, "adjustment", self.uid("dp_"), self.ts(dd, tz), dd, ccy,
                    "dispute")
        if self.r.random() < 0.06 and d < self.days[-3]:
            rd = self.r.choice([e for e in self.days if d < e <= self.days[-2]][:8])
            r_amt = x if self.r.random() < 0.5 else q(x * D(str(self.r.uniform(0.1, 0.9))), ccy)
            re_id, rtxn, rage = self.uid("re_3"), self.uid("txn_3"), (self.as_of - rd).days
            charge["amount_refunded"] = int(r_amt * minor)
            charge["refunded"] = r_amt == x
            rkey = self.key("P")
            rkind = f"stripe_refund_{'full' if r_amt == x else 'partial'}_{ccy}"
            no_cm = self.r.random() < 0.1 and (rage <= 4 or rage >= 12)
            rtr = X(wf, "timing_difference" if rage <= 4 else "missing_counterpart", rkind + "_no_credit_memo", rkey) \
                if no_cm else M(wf, rkey, rkind)
            st["refunds"].append(dict(id=re_id, object="refund", amount=int(r_amt * minor), charge=ch_id,
                                      balance_transaction=rtxn, created=self.ts(rd, tz), currency=ccy.lower(),
                                      status="succeeded", reason="requested_by_customer", metadata={}))
            self.t("billing", re_id, rtr)
            self.bt(st, pending, rtxn, -r_amt, D(0), "refund", re_id, self.ts(rd, tz), rd, ccy, "refund")
            if not no_cm:
                ref, asg = ("", ch_id) if one_off else (number, "")
                self.doc(cc, "DZ", 14, min(self.bday(rd, self.r.randint(0, 1)), self.as_of), [
                    dict(type="D", gl="1510", customer=cust["erp"], amount=r_amt, reference=ref, assignment=asg,
                         text=f"Refund {re_id}", truth=rtr),
                    dict(gl="1290", amount=-r_amt, text="Stripe clearing")])

    def bt(self, st, pending, txn, amount, fee, typ, source, created, avail, ccy, cat) -> None:
        minor = 1 if ccy == "JPY" else 100
        obj = dict(id=txn, object="balance_transaction", amount=int(amount * minor), currency=ccy.lower(),
                   created=created, available_on=int(datetime.combine(avail, datetime.min.time(),
                                                                      UTC).timestamp()),
                   fee=int(fee * minor), fee_details=[{"amount": int(fee * minor), "currency": ccy.lower(),
                                                       "type": "stripe_fee", "description": "Stripe processing fees"}]
                   if fee else [], net=int((amount - fee) * minor), type=typ, reporting_category=cat, source=source,
                   status="available", description=None)
        st["balance_transactions"].append(obj)
        pending.append((avail, obj))

    def payout(self, cc, acct, ccy, d, st, pending) -> None:
        due = [p for p in pending if p[0] <= d]
        net = sum(p[1]["net"] for p in due)
        if net <= 0 or d < self.days[3]:
            return
        for p in due:
            pending.remove(p)
        minor = 1 if ccy == "JPY" else 100
        arrive = self.bday(d, 1 if ccy == "GBP" else 2)
        po_id, txn = self.uid("po_1"), self.uid("txn_1")
        amount = D(net) / minor
        self.bt(st, [], txn, -amount, D(0), "payout", po_id, self.ts(d, 0), d, ccy, "payout")
        st["payouts"].append(dict(id=po_id, object="payout", amount=net, arrival_date=int(datetime.combine(
            arrive, datetime.min.time(), UTC).timestamp()), created=self.ts(d, 0), currency=ccy.lower(),
            automatic=True, method="standard", type="bank_account", description="STRIPE PAYOUT",
            statement_descriptor=None, destination=self.uid("ba_1"), balance_transaction=txn,
            status="paid" if arrive < self.as_of else "in_transit", livemode=True, metadata={}))
        key, wf = self.key("PO"), "billing_to_ledger"
        if arrive >= self.as_of:
            self.t("billing", po_id, X(wf, "timing_difference", "payout_in_transit", key))
            return
        if (self.as_of - arrive).days >= 12 and self.r.random() < 0.02:
            self.t("billing", po_id, X(wf, "missing_counterpart", "payout_never_credited", key))
            return
        only = self.r.random() < 0.3
        kind = "payout_stripe_only" if only else "payout_with_id"
        tr = M(wf, key, f"{kind}_{ccy}")
        self.t("billing", po_id, tr)
        name = "STRIPE" if acct == "GB_GBP" else "ｽﾄﾗｲﾌﾟｼﾞﾔﾊﾟﾝ(ｶ" if only else "STRIPE JAPAN KK"
        remit = "STRIPE" if only else f"STRIPE PAYMENTS {po_id}"
        self.entry(acct, arrive, True, [Tx(amount, name, "", remit, truth=tr)], value=arrive)

    # ---------------------------------------------------------------- procurement
    def procurement(self) -> None:
        for _ in range(max(10, self.n * 3 // 100)):
            self.po_chain()

    def iso(self, d: date, cc: str, hour: int | None = None) -> str:
        tz = {"SE01": "+01:00", "GB02": "+00:00", "JP03": "+09:00"}[cc]
        return f"{d.isoformat()}T{hour or self.r.randint(8, 17):02d}:{self.r.randint(0, 59):02d}:00{tz}"

    def po_chain(self) -> None:
        cc = self.r.choice(["SE01", "GB02"])
        ccy = ENT[cc][1]
        roll = self.r.random()
        outcome = "match"
        if roll < 0.03:
            outcome = "timing"
        elif roll < 0.06:
            outcome = "missing"
        elif roll < 0.09:
            outcome = "mapping"
        elif roll < 0.11:
            outcome = "dup"
        age = self.r.randint(8, 18) if outcome == "timing" else self.r.randint(50, 80) if outcome == "missing" else \
            self.r.randint(25, 84)
        d0 = self.as_of - timedelta(age)
        while d0.weekday() >= 5:
            d0 -= timedelta(1)
        v = self.r.choice(self.vendors[cc])
        po_number = str(4500000000 + self.num("po", 10000))
        po_id = self.num("poid", 700)
        lines = [dict(line_num=i, description=self.r.choice(["Bearings", "Steel plate", "Cable 4mm", "Pallets",
                                                             "Valves DN50", "Service hours", "Gaskets"]),
                      quantity=self.r.randint(1, 40), price=self.amt(ccy, *((20, 9000) if ccy == "SEK" else (2, 800))))
                 for i in range(1, self.r.randint(1, 5) + 1)]
        nver = 1 if self.r.random() < 0.45 else 2 if self.r.random() < 0.7 else 3
        if outcome == "timing":
            nver = 1
        versions = [[dict(ln) for ln in lines]]
        for _ in range(nver - 1):
            nxt = [dict(ln) for ln in versions[-1]]
            ln = self.r.choice(nxt)
            ln["price"] = q(ln["price"] * D(str(self.r.choice([0.9, 0.94, 1.05, 1.08, 1.12]))), ccy)
            versions.append(nxt)
        vdates = [d0 + timedelta(i * 2) for i in range(nver)]
        for i, (ver, vd) in enumerate(zip(versions, vdates, strict=True), 1):
            tot = sum((q(ln["quantity"] * ln["price"], ccy) for ln in ver), D(0))
            self.proc["purchase_orders"].append(dict(
                id=po_id, po_number=po_number, version=i, status="issued", company_code=cc, currency={"code": ccy},
                supplier={"id": int(v["supplier"]), "name": v["name"]}, created_at=self.iso(d0, cc, 9),
                updated_at=self.iso(vd, cc, 10 + i), total=str(tot),
                order_lines=[dict(line_num=ln["line_num"], description=ln["description"], quantity=str(ln["quantity"]),
                                  price=str(ln["price"]), total=str(q(ln["quantity"] * ln["price"], ccy)),
                                  account={"code": "4010"}) for ln in ver]))
        latest = versions[-1]
        rd = vdates[-1] + timedelta(self.r.randint(1, 4))
        received, rec_ids = {}, []
        for ln in latest:
            qty = ln["quantity"] if self.r.random() < 0.8 or ln["quantity"] < 2 else self.r.randint(1, ln["quantity"] - 1)
            parts = [qty] if qty < 2 or self.r.random() < 0.8 else [qty // 2, qty - qty // 2]
            for p in parts:
                rid = self.num("rcpt", 90000)
                self.proc["receipts"].append(dict(id=rid, po_number=po_number, line_num=ln["line_num"], quantity=str(p),
                                                  received_at=self.iso(rd, cc)))
                rec_ids.append(str(rid))
            received[ln["line_num"]] = qty
        idate = rd + timedelta(self.r.randint(0, 2))
        inv_lines = []
        for ln in latest:
            price = ln["price"]
            if self.r.random() < 0.15:
                price = q(price * D(str(1 + self.r.uniform(0.001, 0.009))), ccy)
            inv_lines.append(dict(po_number=po_number, line_num=ln["line_num"], quantity=str(received[ln["line_num"]]),
                                  price=str(price), total=str(q(received[ln["line_num"]] * price, ccy))))
        total = sum((D(x["total"]) for x in inv_lines), D(0))
        number = f"{self.r.choice(['F', 'INV-', 'R'])}{self.r.randint(10000, 99999)}"
        inv_id = self.num("invid", 300000)
        inv = dict(id=inv_id, invoice_number=number, supplier={"id": int(v["supplier"]), "name": v["name"]},
                   invoice_date=idate.isoformat(), currency={"code": ccy}, total=str(total), status="approved",
                   created_at=self.iso(idate, cc), updated_at=self.iso(idate, cc), invoice_lines=inv_lines)
        self.proc["invoices"].append(inv)
        erp_total = total
        if nver > 1 and self.r.random() < 0.3 and outcome == "match":
            old = sum((q(received[ln["line_num"]] * ln["price"], ccy) for ln in versions[-2]), D(0))
            if abs(old - total) > total * D("0.015"):  # the ERP still holds the previous version's prices
                outcome, erp_total = "po_change", old
        wf, key = "procure_to_pay", self.key("PO")
        kind = f"p2p_{len(latest)}lines_v{nver}" + ("_partial" if any(received[ln["line_num"]] < ln["quantity"]
                                                                       for ln in latest) else "")
        tr = {"match": M(wf, key, kind), "dup": M(wf, key, kind + "_dup_invoice"),
              "timing": X(wf, "timing_difference", "p2p_no_erp_yet", key),
              "missing": X(wf, "missing_counterpart", "p2p_no_erp", key),
              "mapping": X(wf, "mapping_error", "p2p_erp_vendor_differs", key),
              "po_change": X(wf, "po_change_not_synced", f"p2p_erp_on_v{nver - 1}", key)}[outcome]
        self.t("procurement", f"{po_number}#v{nver}", tr)
        for rid in rec_ids:
            self.t("procurement", rid, tr)
        self.t("procurement", str(inv_id), tr)
        if outcome == "dup":
            dup_id = self.num("invid", 300000)
            self.proc["invoices"].append(dict(inv, id=dup_id, created_at=self.iso(idate + timedelta(1), cc),
                                              updated_at=self.iso(idate + timedelta(1), cc)))
            self.t("procurement", str(dup_id), X(wf, "duplicate_submission", kind + "_dup_invoice", key))
        if outcome in ("timing", "missing"):
            return
        vendor = v["no"] if outcome != "mapping" else self.r.choice([x for x in self.vendors[cc] if x is not v])["no"]
        post = min(idate + timedelta(self.r.randint(0, 4)), self.as_of)
        grir = [dict(gl="2890", amount=q(received[ln["line_num"]] * ln["price"], ccy), po=po_number,
                     text=ln["description"]) for ln in latest]
        diff = erp_total - sum((x["amount"] for x in grir), D(0))
        if diff:
            grir.append(dict(gl="4090", amount=diff, text="Price difference"))
        self.doc(cc, "RE", 51, post, [dict(type="K", vendor=vendor, amount=-erp_total, reference=number,
                                           assignment=po_number, po=po_number, text=v["name"], truth=tr)] + grir,
                 docdate=idate)

    # ---------------------------------------------------------------- intercompany
    def intercompany(self) -> None:
        for _ in range(max(12, self.n * 12 // 1000)):
            self.ic_pair()

    def ic_pair(self) -> None:
        a, b, kind = self.r.choice([("SE01", "GB02", "ic_recharge"), ("SE01", "JP03", "ic_mgmt_fee"),
                                    ("GB02", "SE01", "ic_loan_interest")])
        ca, cb = ENT[a][1], ENT[b][1]
        roll = self.r.random()
        outcome = "match"
        if roll < 0.08:
            outcome = "imbalance"
        elif roll < 0.13:
            outcome = "timing"
        elif roll < 0.18:
            outcome = "missing"
        elif roll < 0.21:
            outcome = "mapping"
        d = self.day(1, 5) if outcome == "timing" else self.day(16, 80) if outcome == "missing" else self.day(3, 80)
        x = self.amt(ca, *({"SEK": (10000, 900000), "GBP": (1000, 80000)}[ca]))
        ref = f"IC{d:%y}-{self.num('ic', 100):04d}"
        key, wf = self.key("IC"), "intercompany"
        mode = self.r.choice(["doc_ccy", "converted", "converted"])
        k = f"{kind}_{ca}_{cb}_{mode}"
        if outcome == "match" and mode == "converted" and self.r.random() < 0.2:
            k += "_within_band"
        tr = {"match": M(wf, key, k), "imbalance": X(wf, "intercompany_imbalance", k + "_beyond_band", key),
              "timing": X(wf, "timing_difference", kind + "_one_side", key),
              "missing": X(wf, "missing_counterpart", kind + "_one_side", key),
              "mapping": X(wf, "mapping_error", kind + "_unknown_partner", key)}[outcome]
        bad_tp = {"SE01": "SE1", "GB02": "GB2", "JP03": "JP"}
        if a == "GB02":  # loan interest: S lines on IC loan accounts
            self.doc(a, "SA", 1, d, [dict(gl="1385", amount=x, reference=ref, text=f"IC loan interest {b}", tp=b,
                                          truth=tr), dict(gl="8320", amount=-x, text="Interest income")])
        else:
            self.doc(a, "DR", 18, d, [dict(type="D", gl="1560", customer=f"IC{b}", amount=x, reference=ref,
                                           text=f"Recharge {ref}", tp=b, truth=tr),
                                      dict(gl="3900", amount=-x, text="IC revenue")])
        if outcome in ("timing", "missing"):
            return
        pd = d if self.r.random() < 0.7 else min(self.bday(d, self.r.randint(1, 2)), self.as_of)
        dev = D(1)
        if outcome == "imbalance":
            dev = D(str(1 + self.r.choice([-1, 1]) * self.r.uniform(0.03, 0.12)))
        elif k.endswith("within_band"):
            dev = D(str(1 + self.r.choice([-1, 1]) * self.r.uniform(0.003, 0.015)))
        ccy, amount = (ca, q(x * dev, ca)) if mode == "doc_ccy" else (cb, q(self.conv(x, ca, cb, d) * dev, cb))
        tp = bad_tp[a] if outcome == "mapping" else a
        ref_b = ref if self.r.random() < 0.8 else ""
        if a == "GB02":
            self.doc(b, "SA", 1, pd, [dict(gl="2385", amount=-amount, reference=ref_b, text=f"IC loan interest {a}",
                                           tp=tp, truth=tr), dict(gl="8420", amount=amount, text="Interest expense")],
                     ccy=ccy)
        else:
            self.doc(b, "KR", 19, pd, [dict(type="K", gl="2460", vendor=f"IC{a}", amount=-amount, reference=ref_b,
                                            text=f"IC invoice {ref}", tp=tp, truth=tr),
                                       dict(gl="6900", amount=amount, text="IC cost")], ccy=ccy)

    # ---------------------------------------------------------------- orchestration
    def build(self) -> None:
        self.billing()
        self.procurement()
        self.intercompany()
        for acct in ACCTS:
            for m in sorted({d.replace(day=1) for d in self.days}):
                last = max(d for d in self.days if d.replace(day=1) == m)
                if last <= self.as_of - timedelta(4):
                    self.bank_cost(acct, last, False)
                    if acct != "JP_JPY":
                        self.bank_cost(acct, last, True)
        mix = [(30, lambda: self.customer_payment("single")), (5, lambda: self.customer_payment("multi")),
               (3, lambda: self.customer_payment("split")), (2, lambda: self.customer_payment("partial")),
               (4, lambda: self.customer_payment("name")), (1.5, lambda: self.customer_payment("late")),
               (1.2, lambda: self.dd_batch(False)), (1.0, lambda: self.dd_batch(True)), (0.8, self.dd_return),
               (10, lambda: self.supplier_payment("single")), (1, lambda: self.supplier_payment("batch")),
               (0.6, lambda: self.supplier_payment("run")), (3, self.fx_receipt),
               (1.5, lambda: self.bank_cost(self.r.choice(list(ACCTS)), self.day(4, 75), False)),
               (0.4, lambda: self.bank_cost(self.r.choice(list(ACCTS)), self.day(1, 3), False, "erp_later")),
               (1.2, lambda: self.customer_payment("single", "bank_fee")),
               (0.8, lambda: self.customer_payment("single", "partial_payment")),
               (0.6, lambda: self.customer_payment("single", "overpayment")), (0.5, lambda: self.fx_receipt("fx")),
               (1.0, lambda: self.customer_payment("single", "dup")),
               (0.6, lambda: self.customer_payment("single", "bank_only_recent")),
               (0.6, lambda: self.customer_payment("single", "bank_only_old")),
               (0.4, lambda: self.supplier_payment("single", "bank_only_old")),
               (0.6, lambda: self.supplier_payment("single", "erp_only_recent")),
               (0.6, lambda: self.customer_payment("single", "erp_only_old")),
               (0.4, lambda: self.supplier_payment("single", "erp_only_old")),
               (0.6, lambda: self.customer_payment("single", "defect_recent")),
               (0.6, lambda: self.customer_payment("single", "defect_old"))]
        weights = [w for w, _ in mix]
        while self.bank_records < self.n:
            self.r.choices(mix, weights)[0][1]()
        for _ in range(max(3, self.n // 200)):  # pending entries: no truth row, never matched
            acct = self.r.choice(["SE_SEK", "SE_EUR", "JP_JPY"])
            c = self.r.choice(self.customers[acct])
            self.entry(acct, self.day(1, 30), True, [Tx(self.amt(ACCTS[acct]["ccy"]), bankish(c["name"]), c["iban"],
                                                         "PRELIMINARY")], pending=True)


# -------------------------------------------------------------------- writers
def fmt_amt(x: Decimal, ccy: str) -> str:
    return str(q(x, ccy))


class Writer:
    def __init__(self, g: Gen, out: Path):
        self.g, self.out = g, out
        self.acct_ids = {"SE_SEK": "611234567890", "SE_EUR": iban("SE", "50000000054910000003"),
                         "GB_GBP": "20325390123456", "GB_EUR": iban("NL", "ABNA0417164300"),
                         "GB_USD": "000987654321", "JP_JPY": "0011234567"}
        self.seq = 0

    def truth(self, e: Entry, base: str) -> None:
        if e.pending:
            return
        multi = len(e.txs) > 1
        for i, t in enumerate(e.txs, 1):
            if t.truth:
                self.g.t("bank", f"{base}/{i}" if multi else base, t.truth)

    def bank(self) -> None:
        by: dict = {}
        for e in self.g.entries:
            by.setdefault(e.acct, {}).setdefault(e.book, []).append(e)
        for acct, days in by.items():
            fmt = ACCTS[acct]["fmt"]
            bal = D(5_000_000) if acct == "JP_JPY" else D(750_000)
            days_sorted = [d for d in self.g.days if d in days and d < self.g.as_of]
            out = []
            for d in days_sorted:
                es = sorted(days[d], key=lambda e: e.pending)
                opening = bal
                bal += sum((e.amount if e.credit else -e.amount for e in es if not e.pending), D(0))
                out.append((d, es, opening, bal))
            getattr(self, fmt)(acct, out)

    # camt.053 ------------------------------------------------------------
    def camt02(self, acct: str, days: list) -> None:
        weeks: dict = {}
        for item in days:
            weeks.setdefault(item[0].isocalendar()[:2], []).append(item)
        for i, (wk, items) in enumerate(sorted(weeks.items())):
            body = [self.stmt(acct, "02", d, es, o, c, ref_prefix=None) for d, es, o, c in items]
            msg = f"SHB{items[-1][0]:%Y%m%d}W{wk[1]:02d}"
            text = self.camt_doc("02", msg, items[-1][0], body)
            (self.out / "bank" / f"handelsbanken_{self.acct_ids[acct]}_{wk[0]}w{wk[1]:02d}.xml").write_text(text, "utf-8")
            if i == 2:  # the bank re-sends one week as a duplicate copy (new message id, same statements)
                body = [self.stmt(acct, "02", d, es, o, c, ref_prefix=None, dupl=True, record=False)
                        for d, es, o, c in items]
                (self.out / "bank" / f"handelsbanken_{self.acct_ids[acct]}_{wk[0]}w{wk[1]:02d}_resend.xml").write_text(
                    self.camt_doc("02", msg + "R", items[-1][0] + timedelta(3), body), "utf-8")

    def camt06(self, acct: str, days: list) -> None:
        for d, es, o, c in days:
            text = self.camt_doc("06", f"{ACCTS[acct]['bic'][:4]}{d:%Y%m%d}{acct[-3:]}", d,
                                 [self.stmt(acct, "06", d, es, o, c, ref_prefix=ACCTS[acct]["bic"][:2])])
            (self.out / "bank" / f"camt053_{acct.lower()}_{d:%Y%m%d}.xml").write_text(text, "utf-8")

    def camt_doc(self, v: str, msg: str, d: date, stmts: list[str]) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v}"'
                f' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<BkToCstmrStmt>\n<GrpHdr><MsgId>{msg}</MsgId>'
                f"<CreDtTm>{d + timedelta(1)}T05:30:00+01:00</CreDtTm><MsgPgntn><PgNb>1</PgNb><LastPgInd>true"
                f"</LastPgInd></MsgPgntn></GrpHdr>\n" + "".join(stmts) + "</BkToCstmrStmt>\n</Document>\n")

    def stmt(self, acct, v, d, es, opening, closing, ref_prefix, dupl=False, record=True) -> str:
        a, ccy = ACCTS[acct], ACCTS[acct]["ccy"]
        sid = f"{self.acct_ids[acct][-6:]}-{d:%Y%m%d}"
        acc = f"<IBAN>{self.acct_ids[acct]}</IBAN>" if self.acct_ids[acct][:2].isalpha() else \
            f"<Othr><Id>{self.acct_ids[acct]}</Id><SchmeNm><Cd>BBAN</Cd></SchmeNm></Othr>"

        def bal(tp, x):
            return (f"<Bal><Tp><CdOrPrtry><Cd>{tp}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{ccy}\">{fmt_amt(abs(x), ccy)}</Amt>"
                    f"<CdtDbtInd>{'CRDT' if x >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{d}</Dt></Dt></Bal>")
        booked = [e for e in es if not e.pending]
        cr = [e.amount for e in booked if e.credit]
        dr = [e.amount for e in booked if not e.credit]
        parts = [f"<Stmt><Id>{sid}</Id><ElctrncSeqNb>{d.timetuple().tm_yday}</ElctrncSeqNb>"
                 f"<CreDtTm>{d + timedelta(1)}T05:00:00+01:00</CreDtTm>"
                 f"<FrToDt><FrDtTm>{d}T00:00:00+01:00</FrDtTm><ToDtTm>{d}T23:59:59+01:00</ToDtTm></FrToDt>"
                 + ("<CpyDplctInd>DUPL</CpyDplctInd>" if dupl else "")
                 + f"<Acct><Id>{acc}</Id><Ccy>{ccy}</Ccy><Ownr><Nm>{escape(ENT[a['cc']][0])}</Nm></Ownr>"
                 f"<Svcr><FinInstnId><BIC>{a['bic']}</BIC></FinInstnId></Svcr></Acct>",
                 bal("OPBD", opening), bal("CLBD", closing),
                 "" if len(booked) < len(es) else f"<TxsSummry><TtlNtries><NbOfNtries>{len(booked)}</NbOfNtries></TtlNtries>"
                 f"<TtlCdtNtries><NbOfNtries>{len(cr)}</NbOfNtries><Sum>{fmt_amt(sum(cr, D(0)), ccy)}</Sum></TtlCdtNtries>"
                 f"<TtlDbtNtries><NbOfNtries>{len(dr)}</NbOfNtries><Sum>{fmt_amt(sum(dr, D(0)), ccy)}</Sum></TtlDbtNtries>"
                 f"</TxsSummry>"]
        for pos, e in enumerate(es, 1):
            if ref_prefix and not e.pending:
                e.ref = e.ref or f"{ref_prefix}{d:%y%m%d}{self.next():07d}"
                base = e.ref
            else:
                base = f"{sid}#{pos}"
            if record:
                self.truth(e, base)
            fam = {"DDT": ("RDDT", "ESDD"), "CHG": ("CCRD", "CHRG"), "INT": ("CCRD", "INTR")}.get(
                e.code, ("RCDT", "DMCT") if e.credit else ("ICDT", "DMCT"))
            if e.reversal:
                fam = ("RDDT", "UPDD")
            sts = "PDNG" if e.pending else "BOOK"
            x = [f"<Ntry><Amt Ccy=\"{ccy}\">{fmt_amt(e.amount, ccy)}</Amt><CdtDbtInd>{'CRDT' if e.credit else 'DBIT'}"
                 f"</CdtDbtInd>" + ("<RvslInd>true</RvslInd>" if e.reversal else "") + f"<Sts>{sts}</Sts>"
                 + ("" if e.pending else f"<BookgDt><Dt>{e.book}</Dt></BookgDt>") + f"<ValDt><Dt>{e.value}</Dt></ValDt>"
                 + (f"<AcctSvcrRef>{e.ref}</AcctSvcrRef>" if ref_prefix and not e.pending else "")
                 + f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{fam[0]}</Cd><SubFmlyCd>{fam[1]}</SubFmlyCd></Fmly></Domn>"
                 f"</BkTxCd><NtryDtls>"]
            if e.batch:
                x.append(f"<Btch><PmtInfId>{e.batch}</PmtInfId><NbOfTxs>{len(e.txs)}</NbOfTxs></Btch>")
            for t in e.txs:
                x.append(self.txdtls(t, e, ccy, v))
            x.append("</NtryDtls>" + (f"<AddtlNtryInf>{escape(e.info)}</AddtlNtryInf>" if e.info else "") + "</Ntry>")
            parts.append("".join(x))
        parts.append("</Stmt>\n")
        return "\n".join(parts)

    def txdtls(self, t: Tx, e: Entry, ccy: str, v: str) -> str:
        refs = f"<Refs><EndToEndId>{escape(t.e2e or 'NOTPROVIDED')}</EndToEndId></Refs>"
        amt = f"<Amt Ccy=\"{ccy}\">{fmt_amt(t.amount, ccy)}</Amt><CdtDbtInd>{'CRDT' if e.credit else 'DBIT'}</CdtDbtInd>" \
            if v != "02" else ""
        instd = (f"<InstdAmt><Amt Ccy=\"{t.instd[0]}\">{fmt_amt(t.instd[1], t.instd[0])}</Amt></InstdAmt>"
                 if t.instd else "")
        dtl = f"<AmtDtls>{instd}<TxAmt><Amt Ccy=\"{ccy}\">{fmt_amt(t.amount, ccy)}</Amt></TxAmt></AmtDtls>"
        party = ""
        if t.name:
            role = "Dbtr" if e.credit != e.reversal else "Cdtr"
            party = f"<RltdPties><{role}><Nm>{escape(t.name)}</Nm></{role}>" + (
                f"<{role}Acct><Id><IBAN>{t.acct}</IBAN></Id></{role}Acct>" if t.acct[:2].isalpha() else "") + \
                "</RltdPties>"
        rmt = ""
        if t.strd:
            rmt = (f"<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{t.strd}</Ref>"
                   f"</CdtrRefInf></Strd></RmtInf>")
        elif t.remit:
            rmt = f"<RmtInf><Ustrd>{escape(t.remit)}</Ustrd></RmtInf>"
        return f"<TxDtls>{refs}{amt}{dtl}{party}{rmt}</TxDtls>"

    def next(self) -> int:
        self.seq += self.g.r.randint(1, 40)
        return self.seq

    # MT940 -----------------------------------------------------------------
    def mt940(self, acct: str, days: list, slash: bool) -> None:
        ccy = ACCTS[acct]["ccy"]

        def bal(tag, d, x):
            return f":{tag}:{'C' if x >= 0 else 'D'}{d:%y%m%d}{ccy}{fmt_amt(abs(x), ccy).replace('.', ',')}"
        for n, (d, es, o, c) in enumerate(days, 1):
            lines = [f":20:{'ABN' if slash else 'BRC'}{d:%y%m%d}{n:04d}", f":25:{self.acct_ids[acct]}",
                     f":28C:{n:05d}/1", bal("60F", d, o)]
            for e in es:
                e.ref = f"{d:%y%m%d}{self.next():08d}"
                self.truth(e, e.ref)
                t = e.txs[0]
                mark = ("R" if e.reversal else "") + ("C" if e.credit != e.reversal else "D")
                code = {"CHG": "NCHG", "INT": "NINT", "DDT": "NDDT"}.get(e.code, "NTRF")
                lines.append(f":61:{e.value:%y%m%d}{e.book:%m%d}{mark}{fmt_amt(e.amount, ccy).replace('.', ',')}"
                             f"{code}NONREF//{e.ref}")
                if slash:
                    trtp = "SEPA OVERBOEKING" if e.code == "TRF" else e.info or e.code
                    info = f"/TRTP/{trtp}/" + (f"IBAN/{t.acct}/BIC/RABONL2U/NAME/{t.name}/" if t.acct else
                                               (f"NAME/{t.name}/" if t.name else "")) + \
                        f"REMI/USTD//{t.remit}/" + (f"EREF/{t.e2e}" if t.e2e else "EREF/NOTPROVIDED")
                else:
                    info = {"CHG": "", "INT": ""}.get(e.code, ("BGC " if e.credit else "BACS ") + t.name + " ") + t.remit
                    if t.e2e and not e.credit:
                        info += f" REF {t.e2e}"
                info = info.strip()
                chunks = [info[i:i + 65] for i in range(0, len(info), 65)][:6]
                lines.append(":86:" + "\n".join(chunks))
            lines.append(bal("62F", d, c))
            body = "\n".join(lines) + "\n-"
            if slash:
                body = "{1:F01ABNANL2AAXXX0000000000}{2:I940ABNANL2AXXXN}{4:\n" + body + "}"
            name = f"{'abnamro' if slash else 'barclays'}_{acct.lower()}_{d:%Y%m%d}.sta"
            (self.out / "bank" / name).write_text(body + "\n", "utf-8")
            if not slash and n == 5:
                (self.out / "bank" / f"resent_{name}").write_text(body + "\n", "utf-8")

    def mt940txt(self, acct, days):
        self.mt940(acct, days, False)

    def mt940nl(self, acct, days):
        self.mt940(acct, days, True)

    # BAI2 ------------------------------------------------------------------
    def bai2(self, acct: str, days: list) -> None:
        for n, (d, es, o, c) in enumerate(days, 1):
            cents = [int(o * 100), int(c * 100)]
            recs = [f"03,{self.acct_ids[acct]},USD,010,{cents[0]},,,015,{cents[1]},,/"]
            for e in es:
                e.ref = f"{d:%y%m%d}{self.next():06d}"
                self.truth(e, e.ref)
                t = e.txs[0]
                typ = {"CHG": "698", "INT": "354"}.get(e.code, ("195" if t.name and t.acct == "" else "165")
                                                       if e.credit else "495")
                cents.append(int(e.amount * 100))
                recs.append(f"16,{typ},{int(e.amount * 100)},Z,{e.ref},{t.e2e[:16] if t.e2e else ''},"
                            f"{'ORG:=' + t.name if t.name else ''} {'OBI:=' + t.remit if t.remit else ''}".rstrip())
            total = sum(cents)
            recs.append(f"49,{total},{len(recs) + 1}/")
            lines = ["01,CHASUS33,NORDVIKGB," + f"{d + timedelta(1):%y%m%d},0600,{n},,,2/",
                     f"02,NORDVIKGB,021000021,1,{d:%y%m%d},2400,USD,2/"] + recs
            lines += [f"98,{total},1,{len(recs) + 2}/", f"99,{total},1,{len(recs) + 4}/"]
            (self.out / "bank" / f"jpm_bai2_{d:%Y%m%d}.txt").write_text("\n".join(lines) + "\n", "utf-8")

    # ERP, billing, procurement, reference -------------------------------
    def erp(self) -> None:
        cols = list(self.g.erp[0].keys())
        by: dict = {}
        for row in self.g.erp:
            by.setdefault((row["company_code"], row["entry_timestamp"][:7]), []).append(row)
        for (cc, month), rows in sorted(by.items()):
            with (self.out / "erp" / f"FBL3N_{cc}_{month}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, cols)
                w.writeheader()
                w.writerows(rows)

    def billing(self) -> None:
        for cc, objs in self.g.stripe.items():
            for typ, items in objs.items():
                items = sorted(items, key=lambda o: -o["created"])
                for p in range(0, max(len(items), 1), 250):
                    page = dict(object="list", url=f"/v1/{typ}", has_more=p + 250 < len(items), data=items[p:p + 250])
                    (self.out / "billing" / f"stripe_{cc.lower()}_{typ}_{p // 250 + 1:03d}.json").write_text(
                        json.dumps(page, ensure_ascii=False, indent=1), "utf-8")

    def procurement(self) -> None:
        for typ, items in self.g.proc.items():
            (self.out / "procurement" / f"coupa_{typ}.json").write_text(json.dumps(items, indent=1), "utf-8")

    def reference(self) -> None:
        ref = self.out / "reference"

        def write(name, header, rows):
            with (ref / name).open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        write("customers.csv", ["billing_customer_id", "erp_customer", "name", "company_code"], self.g.customers_csv)
        write("vendors.csv", ["procurement_supplier_id", "erp_vendor", "name", "company_code"],
              [[v["supplier"], v["no"], v["name"], cc] for cc in ("SE01", "GB02") for v in self.g.vendors[cc]])
        write("bank_accounts.csv", ["account", "company_code", "gl_account", "currency"],
              [[self.acct_ids[k], a["cc"], a["gl"], a["ccy"]] for k, a in ACCTS.items()])
        write("entities.csv", ["company_code", "name", "currency"], [[cc, nm, c] for cc, (nm, c) in ENT.items()])
        write("fx_rates.csv", ["date", "from", "to", "rate"],
              [[d.isoformat(), a, b, str(r)] for d, rates in self.g.fx.items() for (a, b), r in rates.items()
               if CCYS.index(a) < CCYS.index(b)])


def generate(out_dir: Path, seed: int, n: int, as_of: date) -> None:
    out_dir = Path(out_dir)
    for sub in ("bank", "erp", "billing", "procurement", "reference"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    g = Gen(seed, min(n, 20000), as_of)
    g.build()
    w = Writer(g, out_dir)
    w.bank()
    w.erp()
    w.billing()
    w.procurement()
    w.reference()
    with (out_dir / "truth.csv").open("w", newline="", encoding="utf-8") as f:
        wr = csv.DictWriter(f, TRUTH_COLS)
        wr.writeheader()
        wr.writerows(g.truth)


if __name__ == "__main__":
    from tests.unseen.cli import main

    main(generate, "Write the Nordvik group (unseen enterprise B) and its truth.csv", date(2026, 1, 15))
