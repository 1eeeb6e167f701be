"""Third unseen enterprise: the Alpenwerk group (DE10 EUR + USD, FR20 EUR, PL30 PLN).

Written from SPEC.md alone (no look at recon's code) to measure matching quality on habits the
team did not plan for: German camt.053.001.08 with RF creditor references, payment-run batches,
charges and reversals; a USD account in camt.053.001.02; a Sparkasse MT940 with ?20-?32 fields
and the ever-identical ``:20:STARTUMSE``; a French camt.053.001.02; a Polish MT940 with ``~``
sub-fields; SAP line items with Skonto, payment advices, duplicates, unbalanced documents, French
(512xxx) and Polish (13xxxx) charts of accounts; Stripe with USD/PLN/JPY charges, refunds,
disputes and net payouts; Coupa POs with versions, split receipts and stale ERP postings;
intercompany with FX.

Truth labelling choices where the SPEC is silent (a controller's view):
* Settlement windows are not numbered in the SPEC: timing items are at most 2 days old (5 for
  procure-to-pay), missing items at least 70 days old, so any sane window classifies them.
* A duplicate: the first posting (lower document number, earlier entry) matches, the later copy
  is ``duplicate_submission``.
* A 3-way match group holds the latest PO version, its receipts, the supplier invoice and the ERP
  vendor line; older PO versions get no truth row. When the chain fails, PO and receipts carry
  the same cause as the invoice.
* A record whose only counterpart is defective is judged by age (missing/timing).
* A Stripe charge is a customer payment, so its ERP counterpart is the customer credit line
  (D, negative) of the payment document carrying the Stripe invoice number; a refund pairs with
  the customer debit line. Balance transactions and invoices are lookup data (no truth row). The
  ERP books payouts through a transit account outside bank_accounts.csv, so a payout's bank
  credit belongs only to its payout (workflow billing_to_ledger).
* A duplicate must share reference, amount and date (SPEC 5.3); ERP re-runs post the same day.
* An ERP vendor line whose PO is unknown to Coupa is a mapping_error ("reference pointing to an
  unknown document"); a Coupa chain never booked in the ERP is missing_counterpart.
* A transposed-digit reference with identical amount, date and payer is a match (a controller
  would accept it); a payment advice posted at invoice amount against a partial/over payment is
  an amount_variance (partial_payment / overpayment) on both sides.
"""

from __future__ import annotations

import csv
import json
import random
import string
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

C = Decimal("0.01")
WF_B, WF_S, WF_P, WF_I = "bank_to_ledger", "billing_to_ledger", "procure_to_pay", "intercompany"


def q(x, exp=C) -> Decimal:
    return Decimal(x).quantize(exp, rounding=ROUND_HALF_UP)


def iban(cc: str, bban: str) -> str:
    """A real ISO 13616 IBAN (mod-97 check digits), so banks' validators would accept it."""
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def rf(payload: str) -> str:
    """ISO 11649 structured creditor reference RFkk + payload."""
    num = "".join(str(int(ch, 36)) for ch in payload + "RF00")
    return f"RF{98 - int(num) % 97:02d}{payload}"


@dataclass
class Acct:
    key: str
    cc: str
    ccy: str
    gl: str
    fmt: str          # camt08, camt02, spk, pl
    ident: str        # as the statement names it
    mapped: bool = True
    entries: list = field(default_factory=list)


@dataclass
class Tx:
    amount: Decimal   # signed
    name: str = ""
    iban: str = ""
    e2e: str = "NOTPROVIDED"
    strd: str = ""
    ustrd: str = ""
    chrg: Decimal | None = None
    instd: tuple | None = None    # (amount, ccy, rate)
    rtr: str = ""


@dataclass
class Entry:
    book: date
    val: date
    ref: str
    txs: list
    domn: tuple = ("RCDT", "ESCT")
    rvsl: bool = False
    btch: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((t.amount for t in self.txs), Decimal(0))


DE_NAMES = ["Müller Maschinenbau GmbH", "Schmidt & Söhne KG", "Bergmann Hydraulik AG",
            "Hoffmann Antriebstechnik GmbH", "Krüger Logistik GmbH & Co. KG", "Weber Stahlbau GmbH",
            "Fischer Elektro OHG", "Zimmermann Fördertechnik GmbH", "Braun Präzisionsteile GmbH",
            "Lange Industrieservice e.K.", "Wolff Kunststofftechnik GmbH", "Neumann Pumpen AG"]
FR_NAMES = ["Société Dupont SARL", "Établissements Martin SA", "Lefèvre Industrie SAS",
            "Garnier Mécanique SARL", "Moreau & Fils SA", "Rousseau Équipements SAS",
            "Girard Outillage SARL", "Bonnet Automatismes SA"]
PL_NAMES = ["KOWALSKI SP. Z O.O.", "NOWAK TECHNIKA S.A.", "WISNIEWSKI METAL SP. Z O.O.",
            "ZAKLADY MECHANICZNE WOJCIK SP.J.", "KAMINSKI SERWIS SP. Z O.O.", "LEWANDOWSKA HYDRO S.A."]
US_NAMES = ["Great Lakes Tooling Inc.", "Ridgeway Controls LLC", "Pacific Motion Corp.",
            "Hudson Valve Company"]
SUPPLIERS = ["Thyssen Blechhandel GmbH", "Würth Befestigung GmbH", "Schaeffler Lager KG",
             "Acier de Lorraine SA", "Fonderie Picard SAS", "STALPROFIL GLIWICE S.A.",
             "Bosch Rexroth Vertrieb GmbH", "Igus Kunststoff GmbH", "Festo Pneumatik SE",
             "ELEKTROMONTAZ KRAKOW SP. Z O.O.", "Sick Sensorik GmbH", "Legrand Distribution SAS"]


class Gen:
    """Holds every source's records while scenarios add them, then writes the folder."""

    def __init__(self, rng: random.Random, n: int, as_of: date):
        self.r, self.n, self.as_of = rng, n, as_of
        self.start = as_of - timedelta(days=125)
        self.truth: list[dict] = []
        self.erp: list[dict] = []
        self.docno: dict = defaultdict(int)
        self.seq = 0
        self.keyn = 0
        r = rng
        self.accts = {
            "A1": Acct("A1", "DE10", "EUR", "113100", "camt08",
                       iban("DE", "37040044" + "0532013000")),
            "A2": Acct("A2", "DE10", "USD", "113150", "camt02",
                       iban("DE", "37040044" + "0532013001")),
            "A3": Acct("A3", "DE10", "EUR", "113200", "spk", "70050000/0001234567"),
            "A4": Acct("A4", "FR20", "EUR", "512100", "camt02",
                       iban("FR", "30004" + "00820" + "00012345678" + "06")),
            "A5": Acct("A5", "PL30", "PLN", "130100", "pl",
                       iban("PL", "11402004" + "0000350212345678")),
            "A6": Acct("A6", "FR20", "EUR", "512300", "camt08",
                       iban("FR", "30003" + "01234" + "00050012345" + "85"), mapped=False),
        }
        self.cust = {"DE10": [(f"1{100 + i:05d}", nm) for i, nm in enumerate(DE_NAMES + US_NAMES)],
                     "FR20": [(f"4110{i:04d}", nm) for i, nm in enumerate(FR_NAMES)],
                     "PL30": [(f"2010{i:04d}", nm) for i, nm in enumerate(PL_NAMES)]}
        self.cust_iban = {nm: iban("DE", f"{r.randrange(10**17, 10**18)}") for nm in
                          DE_NAMES + US_NAMES + SUPPLIERS}
        self.cust_iban |= {nm: iban("FR", f"{r.randrange(10**22, 10**23)}") for nm in FR_NAMES}
        self.cust_iban |= {nm: iban("PL", f"{r.randrange(10**23, 10**24)}") for nm in PL_NAMES}
        self.fx = self._rates()

    # ---------------------------------------------------------------- helpers
    def _rates(self) -> dict:
        """Daily EUR->USD/PLN/JPY random walks."""
        out, lvl = {}, {"USD": 1.0850, "PLN": 4.2700, "JPY": 161.50}
        d = self.start - timedelta(days=10)
        while d <= self.as_of:
            for k in lvl:
                lvl[k] *= 1 + self.r.uniform(-0.004, 0.004)
                out[(d, k)] = q(lvl[k], Decimal("0.0001"))
            d += timedelta(days=1)
        return out

    def rate(self, d: date, ccy: str) -> Decimal:
        return Decimal(1) if ccy == "EUR" else self.fx[(d, ccy)]

    def key(self, prefix: str) -> str:
        self.keyn += 1
        return f"{prefix}-{self.keyn:06d}"

    def t(self, sys, ref, wf, kind, key="", cause="", sub=""):
        self.truth.append({"source_system": sys, "source_ref": ref, "workflow": wf,
                           "expected": "exception" if cause else "match",
                           "match_key": "" if cause else key, "match_kind": kind,
                           "cause": cause, "sub_cause": sub})

    def amt(self, lo=80, hi=60000) -> Decimal:
        return q(Decimal(str(round(self.r.lognormvariate(7.3, 1.2), 2))).max(Decimal(lo)).min(hi))

    def bday(self, lo: int, hi: int) -> date:
        """A business day between as_of-hi and as_of-lo days."""
        while True:
            d = self.as_of - timedelta(days=self.r.randint(lo, hi))
            if d.weekday() < 5:
                return d

    def next_bday(self, d: date, k: int = 1) -> date:
        while k:
            d += timedelta(days=1)
            k -= d.weekday() < 5
        return d

    def bref(self, a: Acct, d: date) -> str:
        self.seq += 1
        if a.fmt == "spk":
            return f"{d:%y%m%d}{self.seq:07d}"
        if a.fmt == "pl":
            return f"{self.seq:012d}"
        return f"{d:%Y%m%d}{a.key}{self.seq:08d}"

    def entry(self, a: Acct, d: date, txs: list, val: date | None = None, **kw) -> Entry:
        e = Entry(d, val or d, self.bref(a, d), txs, **kw)
        a.entries.append(e)
        return e

    def erp_doc(self, cc, d, btype, lines, ccy=None, ref="", text="", entry_lag=0, tp=""):
        """Post a (normally balanced) SAP document; returns refs of its lines."""
        local = {"DE10": "EUR", "FR20": "EUR", "PL30": "PLN"}[cc]
        ccy = ccy or local
        rng = {"DZ": 14, "KZ": 15, "ZP": 20, "SA": 10, "DR": 18, "RE": 51, "AB": 11, "DG": 16,
               "KR": 19}[btype]
        self.docno[(cc, d.year, btype)] += 1
        no = f"{rng}{self.docno[(cc, d.year, btype)]:08d}"
        ts = datetime.combine(d + timedelta(days=entry_lag), datetime.min.time()) + timedelta(
            seconds=self.r.randint(7 * 3600, 19 * 3600))
        refs, locs = [], []
        for ln in lines:
            a = ln["amount"]
            locs.append(a if ccy == local else q(a / self.rate(d, ccy)) if local == "EUR" else
                        q(a * self.rate(d, "PLN") / self.rate(d, ccy)))
        # like SAP, put the local-currency rounding difference on the largest line
        big = max(range(len(locs)), key=lambda j: abs(locs[j]))
        locs[big] -= sum(locs)
        for i, ln in enumerate(lines, 1):
            a, loc = ln["amount"], locs[i - 1]
            row = {"company_code": cc, "fiscal_year": d.year, "document_number": no,
                   "line_item": f"{i:03d}", "document_type": btype, "posting_date": d.isoformat(),
                   "document_date": ln.get("docdate", d).isoformat(),
                   "entry_timestamp": ts.isoformat(timespec="seconds"),
                   "gl_account": ln.get("gl", ""), "account_type": ln.get("koart", "S"),
                   "customer": ln.get("cust", ""), "vendor": ln.get("vend", ""),
                   "amount": a, "currency": ln.get("ccy", ccy), "amount_local": loc,
                   "local_currency": local, "reference": ln.get("ref", ref),
                   "assignment": ln.get("assign", ""), "text": ln.get("text", text),
                   "clearing_document": "", "clearing_date": "", "trading_partner": ln.get("tp", ""),
                   "purchase_order": ln.get("po", "")}
            self.erp.append(row)
            refs.append(f"{cc}/{d.year}/{no}/{i:03d}")
        return refs

    def cust_of(self, cc):
        return self.r.choice(self.cust[cc])

    def inv_no(self, cc: str, d: date, pad=True) -> str:
        self.seq += 1
        if cc == "DE10":
            return f"9{self.seq:07d}"
        if cc == "FR20":
            return f"FA{d.year}-{self.seq:05d}"
        return f"FV/{self.seq % 10000:04d}/{d.month:02d}/{d.year}"

    # ------------------------------------------------------- bank <-> ledger
    def receipt(self, kind: str, d: date | None = None, acct: str | None = None, **o):
        """An incoming customer payment on a bank account and its ERP receipt document."""
        r = self.r
        a = self.accts[acct or r.choices(["A1", "A3", "A4", "A5", "A2"], [30, 15, 18, 17, 6])[0]]
        d = d or self.bday(6, 115)
        cc = a.cc
        cno, name = self.cust_of(cc)
        if a.ccy == "USD":
            cno, name = self.cust["DE10"][len(DE_NAMES) + r.randrange(len(US_NAMES))]
        inv = self.inv_no(cc, d)
        gross = o.get("gross") or self.amt()
        paid = o.get("paid", gross)
        bank_amt = o.get("bank_amt", paid)
        erp_amt = o.get("erp_amt", paid)
        # what the bank shows as remittance
        shown = o.get("shown", inv)
        tx = Tx(bank_amt, name, self.cust_iban[name])
        if a.fmt == "camt08" and cc == "DE10" and o.get("rf", r.random() < 0.7) and shown.isdigit():
            tx.strd = rf(shown)
            tx.e2e = f"E2E{r.randrange(10**12):012d}"
        else:
            word = {"DE10": "RE", "FR20": "FACTURE", "PL30": "FAKTURA"}[cc]
            tx.ustrd = o.get("ustrd", f"{word} {shown} {name[:20].upper()}")
        tx.chrg, tx.instd = o.get("chrg"), o.get("instd")
        e = self.entry(a, o.get("book", d), [tx], val=o.get("val"))
        pd = o.get("erp_date", d)
        asg, refv = (inv, "") if o.get("in_assign") else ("", o.get("erp_ref", inv))
        lines = [{"gl": a.gl, "amount": erp_amt, "assign": asg, "ref": refv,
                  "text": o.get("erp_text", f"Zahlung {name[:30]}")},
                 {"koart": "D", "cust": cno, "gl": "140000", "amount": -gross, "ref": inv,
                  "text": name[:40]}]
        if gross != erp_amt:
            lines.append({"gl": "708000" if o.get("skonto") else "140000",
                          "koart": "S" if o.get("skonto") else "D",
                          "cust": "" if o.get("skonto") else cno, "amount": gross - erp_amt,
                          "text": "Skonto 2%" if o.get("skonto") else "Restposten"})
        erefs = self.erp_doc(cc, pd, "DZ", lines, ccy=a.ccy, entry_lag=o.get("lag", 0))
        return a, e, erefs

    def pair(self, kind, bank_ref, erp_ref, cause="", sub="", wf=WF_B):
        k = self.key("B")
        self.t("bank", bank_ref, wf, kind, k, cause, sub)
        self.t("erp", erp_ref, wf, kind, k, cause, sub)

    def payment(self, kind: str, d: date | None = None, acct: str | None = None, **o):
        """An outgoing vendor payment (SEPA credit transfer) and its ERP payment document."""
        r = self.r
        a = self.accts[acct or r.choices(["A1", "A3", "A4", "A5", "A2"], [30, 15, 18, 17, 5])[0]]
        d = d or self.bday(6, 115)
        name = r.choice(SUPPLIERS)
        amt = o.get("amount") or self.amt()
        e2e = f"{a.cc}{d:%y%m%d}ZP{r.randrange(10**6):06d}"
        tx = Tx(-amt, name, self.cust_iban[name], e2e=e2e, ustrd=f"RG {r.randrange(10**6, 10**7)}")
        e = None
        if not o.get("no_bank"):
            e = self.entry(a, o.get("book", d), [tx], domn=("ICDT", "ESCT"))
        vno = f"3{r.randrange(10**5):05d}"
        erefs = self.erp_doc(a.cc, o.get("erp_date", d), "ZP", [
            {"gl": a.gl, "amount": -amt, "assign": e2e, "text": f"F110 {name[:30]}"},
            {"koart": "K", "vend": vno, "gl": "160000", "amount": amt, "text": name[:40]}],
            ccy=a.ccy)
        return a, e, erefs, tx

    def bank_scenarios(self, budget: int):
        r, made = self.r, 0
        kinds = [("sepa_credit_rf", 26), ("vendor_payment_e2e", 18), ("ustrd_invoice_ref", 10),
                 ("payment_run_batch", 5), ("payment_run_lumpsum", 2), ("skonto_net", 4),
                 ("partial_posted_actual", 1.5), ("overpayment_posted", 0.6),
                 ("payment_on_account", 1.5), ("weekend_value_date", 3), ("ref_in_assignment", 2),
                 ("ref_zero_padded", 2), ("ref_transposed_digits", 1), ("fx_rounding", 1),
                 ("intl_fee_booked_later", 1.2), ("sepa_return", 0.6), ("bank_reversal", 0.5),
                 ("av_bank_fee", 0.6), ("av_fx", 0.6), ("av_partial_advice", 0.6),
                 ("av_over_advice", 0.4), ("dup_erp_posting", 0.8), ("defect_erp", 0.8),
                 ("unmapped_account", 0.5), ("timing_bank_only", 1.0), ("timing_erp_only", 1.0),
                 ("missing_bank_only", 0.8), ("missing_erp_only", 0.6)]
        names, weights = zip(*kinds, strict=True)
        while made < budget:
            k = r.choices(names, weights)[0]
            made += getattr(self, "b_" + k, self.b_generic)(k)
        self.monthly_fees()

    def b_generic(self, k):
        """Clean one-to-one receipts and payments in the local habits of each bank."""
        if k == "vendor_payment_e2e":
            _, e, er, _ = self.payment(k)
            self.pair(k, e.ref, er[0])
            return 1
        if k == "ustrd_invoice_ref":
            _, e, er = self.receipt(k, rf=False, acct=self.r.choice(["A3", "A4", "A5"]),
                                    lag=self.r.randint(0, 2))
        elif k == "skonto_net":
            g = self.amt()
            _, e, er = self.receipt(k, acct="A1", gross=g, paid=q(g * Decimal("0.98")),
                                    skonto=True, rf=False)
            e.txs[0].ustrd += " ABZGL. 2% SKONTO"
        elif k == "partial_posted_actual":
            g = self.amt(500)
            _, e, er = self.receipt(k, gross=g, paid=q(g * Decimal(self.r.choice(["0.5", "0.6"]))))
        elif k == "overpayment_posted":
            g = self.amt(500)
            _, e, er = self.receipt(k, gross=g, paid=g + q(self.r.randint(20, 300)))
        elif k == "payment_on_account":
            order = f"{self.r.randrange(10**5, 10**6)}"
            _, e, er = self.receipt(k, rf=False, acct=self.r.choice(["A1", "A3"]),
                                    ustrd=f"ANZAHLUNG AUFTRAG {order}", erp_ref="",
                                    erp_text=f"Anzahlung Akonto Auftr. {order}")
        elif k == "weekend_value_date":
            mon = self.bday(8, 110)
            while mon.weekday() != 0:
                mon -= timedelta(days=1)
            _, e, er = self.receipt(k, d=mon, val=mon - timedelta(days=2), erp_date=mon - timedelta(
                days=3))
        elif k == "ref_in_assignment":
            _, e, er = self.receipt(k, acct="A1", in_assign=True)
        elif k == "ref_zero_padded":
            d = self.bday(6, 110)
            inv = self.inv_no("DE10", d)
            _, e, er = self.receipt(k, d=d, acct="A3", shown=inv, erp_ref=inv.zfill(10))
            self.erp[-1]["reference"] = inv.zfill(10)
        elif k == "ref_transposed_digits":
            d = self.bday(6, 110)
            _, e, er = self.receipt(k, d=d, acct=self.r.choice(["A3", "A4"]))
            good = self.erp[-2]["reference"]
            i = next(j for j in range(len(good) - 2, 0, -1) if good[j] != good[j - 1]
                     and good[j].isdigit() and good[j - 1].isdigit())
            bad = good[:i - 1] + good[i] + good[i - 1] + good[i + 1:]
            e.txs[0].ustrd = e.txs[0].ustrd.replace(good, bad)
        elif k == "fx_rounding":
            d = self.bday(6, 110)
            usd = self.amt(1000)
            eur = q(usd / self.rate(d, "USD"))
            _, e, er = self.receipt(k, d=d, acct="A1", gross=eur + C, paid=eur, erp_amt=eur + C,
                                    bank_amt=eur, instd=(usd, "USD", self.rate(d, "USD")), rf=False)
        else:
            _, e, er = self.receipt(k, lag=self.r.randint(0, 1))
        self.pair(k, e.ref, er[0])
        return 1

    def b_payment_run_batch(self, k):
        """F110 run: one camt batch entry, one TxDtls and one ERP payment document per vendor."""
        d, a, n = self.bday(6, 110), self.accts["A1"], self.r.randint(2, 6)
        txs, refs = [], []
        for _ in range(n):
            _, _, er, tx = self.payment(k, d=d, acct="A1", no_bank=True)
            txs.append(tx)
            refs.append(er[0])
        e = self.entry(a, d, txs, domn=("ICDT", "ESCT"), btch=f"F110-{d:%Y%m%d}-ALPW1")
        for i, er in enumerate(refs, 1):
            self.pair(k, f"{e.ref}/{i}", er)
        return n

    def b_payment_run_lumpsum(self, k):
        """F110 run posted as one bank-clearing line: many TxDtls to one ERP line."""
        d, a, n = self.bday(6, 110), self.accts["A1"], self.r.randint(2, 5)
        run = f"F110-{d:%Y%m%d}-ALPW{self.r.randint(2, 9)}"
        txs, lines = [], []
        for _ in range(n):
            name, amt = self.r.choice(SUPPLIERS), self.amt()
            txs.append(Tx(-amt, name, self.cust_iban[name],
                          e2e=f"DE10{d:%y%m%d}ZP{self.r.randrange(10**6):06d}",
                          ustrd=f"RG {self.r.randrange(10**6, 10**7)}"))
            lines.append({"koart": "K", "vend": f"3{self.r.randrange(10**5):05d}", "gl": "160000",
                          "amount": amt, "text": name[:40]})
        total = -sum(t.amount for t in txs)
        er = self.erp_doc("DE10", d, "ZP", [{"gl": a.gl, "amount": -total, "assign": run,
                                              "text": f"Zahlungslauf {run}"}] + lines)
        e = self.entry(a, d, txs, domn=("ICDT", "ESCT"), btch=run)
        key = self.key("B")
        for i in range(1, n + 1):
            self.t("bank", f"{e.ref}/{i}", WF_B, k, key)
        self.t("erp", er[0], WF_B, k, key)
        return n

    def b_intl_fee_booked_later(self, k):
        """Incoming foreign transfer net of charges; ERP books gross, fee line a few days later."""
        d, g = self.bday(10, 110), self.amt(2000)
        fee = q(self.r.choice(["12.50", "15.00", "25.00", "35.00"]))
        a, e, er = self.receipt(k, d=d, acct="A1", gross=g, bank_amt=g - fee, erp_amt=g,
                                chrg=fee, rf=False)
        fd = self.next_bday(d, self.r.randint(2, 4))
        fr = self.erp_doc("DE10", fd, "SA", [
            {"gl": a.gl, "amount": -fee, "text": f"Fremdspesen Ausl.-Zahlung {e.ref[-8:]}"},
            {"gl": "675000", "amount": fee, "text": "Bankgebühren"}])
        key = self.key("B")
        for s, ref in (("bank", e.ref), ("erp", er[0]), ("erp", fr[0])):
            self.t(s, ref, WF_B, k, key)
        return 1

    def b_sepa_return(self, k):
        """Vendor transfer returned (AC04) three days later; ERP reverses the payment."""
        a, e, er, tx = self.payment(k, acct="A1")
        rd = self.next_bday(e.book, 3)
        back = Tx(-tx.amount, tx.name, tx.iban, e2e=tx.e2e, ustrd="RUECKUEBERWEISUNG",
                  rtr="AC04")
        e2 = self.entry(a, rd, [back], domn=("ICDT", "RRTN"))
        rr = self.erp_doc(a.cc, rd, "AB", [
            {"gl": a.gl, "amount": -tx.amount, "assign": tx.e2e, "text": "Storno Rückläufer AC04"},
            {"koart": "K", "vend": "300001", "gl": "160000", "amount": tx.amount}])
        self.pair(k, e.ref, er[0])
        self.pair(k + "_return", e2.ref, rr[0])
        return 2

    def b_bank_reversal(self, k):
        """Bank books a credit, then reverses it (RvslInd); the ERP receipt is reversed too."""
        a, e, er = self.receipt(k, acct="A1", rf=False)
        rd = self.next_bday(e.book, 1)
        t0 = e.txs[0]
        e2 = self.entry(a, rd, [Tx(-t0.amount, t0.name, t0.iban, ustrd="STORNO " + t0.ustrd)],
                        rvsl=True)
        rr = self.erp_doc(a.cc, rd, "AB", [
            {"gl": a.gl, "amount": -t0.amount, "ref": self.erp[-2]["reference"],
             "text": "Storno Zahlungseingang (Bankstorno)"},
            {"koart": "D", "cust": "100100", "gl": "140000", "amount": t0.amount}])
        self.pair(k, e.ref, er[0])
        self.pair(k + "_reversal", e2.ref, rr[0])
        return 2

    def b_av_bank_fee(self, k):
        g = self.amt(2000)
        fee = q(self.r.choice(["15.00", "20.00", "30.00"]))
        _, e, er = self.receipt(k, acct="A1", gross=g, bank_amt=g - fee, erp_amt=g, chrg=fee,
                                rf=False)
        self.pair(k, e.ref, er[0], "amount_variance", "bank_fee")
        return 1

    def b_av_fx(self, k):
        """USD invoice paid into the EUR account: bank converts at its rate, ERP at the book rate."""
        d = self.bday(6, 110)
        usd = self.amt(3000)
        bank_rate = self.rate(d, "USD") * Decimal("1.025")
        eur_bank, eur_erp = q(usd / bank_rate), q(usd / self.rate(d, "USD"))
        _, e, er = self.receipt(k, d=d, acct="A1", gross=eur_erp, bank_amt=eur_bank,
                                erp_amt=eur_erp, instd=(usd, "USD", q(1 / bank_rate,
                                                                     Decimal("0.000001"))),
                                rf=False, erp_text=f"USD {usd} Kurs {self.rate(d, 'USD')}")
        self.pair(k, e.ref, er[0], "amount_variance", "fx_difference")
        return 1

    def b_av_partial_advice(self, k):
        g = self.amt(800)
        _, e, er = self.receipt(k, gross=g, bank_amt=q(g * Decimal("0.7")), erp_amt=g,
                                erp_text="Zahlungsavis")
        self.pair(k, e.ref, er[0], "amount_variance", "partial_payment")
        return 1

    def b_av_over_advice(self, k):
        g = self.amt(800)
        _, e, er = self.receipt(k, gross=g, bank_amt=g + q(self.r.randint(50, 500)), erp_amt=g,
                                erp_text="Zahlungsavis")
        self.pair(k, e.ref, er[0], "amount_variance", "overpayment")
        return 1

    def b_dup_erp_posting(self, k):
        """The bank-statement interface posted the same receipt twice."""
        a, e, er = self.receipt(k)
        src = self.erp[-2:]
        self.docno[(src[0]["company_code"], int(src[0]["fiscal_year"]), "DZ")] += 1
        no = f"14{self.docno[(src[0]['company_code'], int(src[0]['fiscal_year']), 'DZ')]:08d}"
        for ln in src:
            self.erp.append(dict(ln, document_number=no, entry_timestamp=(
                datetime.fromisoformat(ln["entry_timestamp"]) + timedelta(minutes=7)).isoformat()))
        self.pair(k, e.ref, er[0])
        self.t("erp", f"{src[0]['company_code']}/{src[0]['fiscal_year']}/{no}/001", WF_B, k,
               cause="duplicate_submission")
        return 1

    def b_defect_erp(self, k):
        """ERP bank line that fails a critical check; its bank entry is old and left alone."""
        a, e, er = self.receipt(k, d=self.bday(75, 115))
        ln, v = self.erp[-2], self.r.randrange(3)
        if v == 0:
            ln["amount"] = ""
        elif v == 1:
            ln["currency"] = "EURO" if a.ccy == "EUR" else "ZL"
        else:  # unbalanced document: customer line off by a rounding bug
            self.erp[-1]["amount"] -= Decimal("0.10")
            self.erp[-1]["amount_local"] -= Decimal("0.10")
        kind = k + ["_missing_amount", "_bad_currency", "_unbalanced"][v]
        self.t("erp", er[0], WF_B, kind, cause="source_system_defect")
        self.t("bank", e.ref, WF_B, kind, cause="missing_counterpart")
        return 1

    def b_unmapped_account(self, k):
        """A new FR20 account at Société Générale, not yet in bank_accounts.csv."""
        d = self.bday(6, 110)
        nm = self.r.choice(FR_NAMES)
        e = self.entry(self.accts["A6"], d, [Tx(self.amt(), nm, self.cust_iban[nm],
                                                ustrd=f"FACTURE {self.inv_no('FR20', d)}")])
        self.t("bank", e.ref, WF_B, k, cause="mapping_error")
        return 1

    def b_timing_bank_only(self, k):
        _, e, _ = self.receipt(k, d=self.as_of - timedelta(days=self.r.randint(0, 1)))
        self.erp = self.erp[:-2]
        self.t("bank", e.ref, WF_B, k, cause="timing_difference")
        return 1

    def b_timing_erp_only(self, k):
        d = self.as_of - timedelta(days=self.r.randint(0, 1))
        _, _, er, _ = self.payment(k, d=d, no_bank=True)
        self.t("erp", er[0], WF_B, k, cause="timing_difference")
        return 0

    def b_missing_bank_only(self, k):
        """Old card/direct-debit debits nobody booked."""
        a = self.accts[self.r.choice(["A1", "A3", "A4", "A5"])]
        who = self.r.choice(["TELEKOM DEUTSCHLAND", "ARAL TANKSTELLE 4711", "ORANGE BUSINESS",
                             "LOTOS STACJA 112", "AMAZON EU SARL"])
        e = self.entry(a, self.bday(75, 115), [Tx(-self.amt(20, 900), who, ustrd=f"KARTE {who}")],
                       domn=("CCRD", "POSD"))
        self.t("bank", e.ref, WF_B, k, cause="missing_counterpart")
        return 1

    def b_missing_erp_only(self, k):
        d = self.bday(75, 115)
        _, _, er, _ = self.payment(k, d=d, no_bank=True)
        self.t("erp", er[0], WF_B, k, cause="missing_counterpart")
        return 0

    def monthly_fees(self):
        """Account maintenance fee on the last business day, booked in the ERP 1-3 days later."""
        for a in self.accts.values():
            if not a.mapped:
                continue
            m = date(self.start.year, self.start.month, 1)
            while m < self.as_of:
                nxt = (m + timedelta(days=32)).replace(day=1)
                d = nxt - timedelta(days=1)
                while d.weekday() >= 5:
                    d -= timedelta(days=1)
                m = nxt
                if d < self.start + timedelta(days=5) or d > self.as_of - timedelta(days=6):
                    continue
                fee = q(self.r.choice(["19.90", "24.50", "39.00", "49.00"]) if a.ccy != "PLN"
                        else self.r.choice(["89.00", "120.00"]))
                word = {"PL30": "OPLATA ZA PROWADZENIE RACHUNKU", "FR20": "FRAIS TENUE DE COMPTE"}
                e = self.entry(a, d, [Tx(-fee, ustrd=word.get(a.cc, "KONTOFUEHRUNGSGEBUEHR"))],
                               domn=("ACMT", "CHRG"))
                er = self.erp_doc(a.cc, self.next_bday(d, self.r.randint(1, 3)), "SA", [
                    {"gl": a.gl, "amount": -fee, "text": f"Bankgebühren {d:%m/%Y}"},
                    {"gl": "675000" if a.cc != "PL30" else "402100", "amount": fee}], ccy=a.ccy)
                self.pair("bank_fee_booked_later", e.ref, er[0])

    # ------------------------------------------------------------- Stripe
    def stripe(self, n_ch: int):
        """Charges in EUR/USD/PLN/JPY on a EUR Stripe account at DE10, payouts every 2-3 days."""
        r = self.r
        self.s = {k: [] for k in ("charges", "refunds", "payouts", "balance_transactions",
                                  "invoices")}
        self.s_customers = []
        for i in range(max(8, n_ch // 6)):
            nm = r.choice(DE_NAMES + FR_NAMES + US_NAMES)
            self.s_customers.append((self.sid("cus_", 14), f"2{i + 1:05d}", nm))
        minor = {"eur": 2, "usd": 2, "pln": 2, "jpy": 0}
        bts = []

        def epoch(d: date, h=None) -> int:
            return int(datetime(d.year, d.month, d.day, h if h is not None else r.randint(6, 22),
                                r.randint(0, 59), tzinfo=UTC).timestamp())

        for _ in range(n_ch):
            kind = r.choices(["charge_invoice", "charge_refunded", "charge_disputed", "av_erp_net_of_vat",
                              "dup_erp_invoice", "customer_recreated", "timing", "missing"],
                             [80, 6, 2, 2, 2, 2, 3, 1.5])[0]
            d = self.as_of - timedelta(days=r.randint(0, 1)) if kind == "timing" else \
                self.as_of - timedelta(days=r.randint(75, 110)) if kind == "missing" else \
                self.as_of - timedelta(days=r.randint(4, 110))
            ccy = r.choices(["eur", "usd", "pln", "jpy"], [70, 15, 10, 5])[0]
            cus, erp_c, nm = r.choice(self.s_customers)
            eur = q(r.choice([49, 99, 149, 249, 490, 990]) * Decimal(r.choice([1, 1, 2, 3])))
            val = eur if ccy == "eur" else q(eur * self.rate(d, ccy.upper()),
                                            Decimal(1) if ccy == "jpy" else C)
            units = int(val * 10 ** minor[ccy])
            ch, inv, txn = self.sid("ch_3P", 24), self.sid("in_1P", 24), self.sid("txn_3P", 24)
            self.seq += 1
            number = f"ALPW-{cus[-6:].upper()}-{self.seq:05d}"
            ts = epoch(d)
            eur_units = units if ccy == "eur" else int(q(val / self.rate(d, ccy.upper())) * 100)
            fee = int(q(Decimal(eur_units) * Decimal("0.015"), Decimal(1))) + 25
            if kind == "customer_recreated":
                cus = self.sid("cus_", 14)   # same customer, new Stripe id, not in customers.csv
            self.s["charges"].append({
                "id": ch, "object": "charge", "amount": units, "amount_captured": units,
                "amount_refunded": 0, "balance_transaction": txn, "captured": True,
                "created": ts, "currency": ccy, "customer": cus, "description":
                "Payment for Invoice", "disputed": kind == "charge_disputed", "invoice": inv,
                "livemode": True, "metadata": {}, "paid": True, "refunded": False,
                "status": "succeeded", "billing_details": {"name": nm}})
            self.s["invoices"].append({
                "id": inv, "object": "invoice", "number": number, "customer": cus,
                "currency": ccy, "amount_due": units, "amount_paid": units, "amount_remaining": 0,
                "charge": ch, "status": "paid", "created": ts - 60, "customer_name": nm})
            bts.append({"id": txn, "object": "balance_transaction", "amount": eur_units,
                        "currency": "eur", "fee": fee, "net": eur_units - fee, "type": "charge",
                        "reporting_category": "charge", "source": ch, "status": "available",
                        "created": ts, "available_on": ts + 2 * 86400,
                        "exchange_rate": None if ccy == "eur" else float(
                            q(1 / self.rate(d, ccy.upper()), Decimal("0.000001"))),
                        "description": "Payment for Invoice"})
            key = self.key("S")
            erp_amt = val
            if kind == "av_erp_net_of_vat":
                erp_amt = q(val / Decimal("1.19"), Decimal(1) if ccy == "jpy" else C)
            if kind not in ("timing", "missing"):
                # the charge is a customer payment: Stripe transit (S) to customer credit (D)
                pd = d if r.random() < 0.7 else d + timedelta(days=1)
                er = self.stripe_receipt(pd, erp_c, erp_amt, ccy.upper(), number, nm)
            if kind == "av_erp_net_of_vat":
                self.t("billing", ch, WF_S, kind, cause="amount_variance", sub="other")
                self.t("erp", er[1], WF_S, kind, cause="amount_variance", sub="other")
            elif kind == "customer_recreated":
                self.t("billing", ch, WF_S, kind, cause="mapping_error")
                self.t("erp", er[1], WF_S, kind, cause="mapping_error")
            elif kind in ("timing", "missing"):
                self.t("billing", ch, WF_S, kind,
                       cause="timing_difference" if kind == "timing" else "missing_counterpart")
            else:
                self.t("billing", ch, WF_S, kind, key)
                self.t("erp", er[1], WF_S, kind, key)
                if kind == "dup_erp_invoice":
                    # the ERP interface re-ran the same day (SPEC: same reference, amount, date)
                    dup = self.stripe_receipt(pd, erp_c, erp_amt, ccy.upper(), number, nm)
                    self.t("erp", dup[1], WF_S, kind, cause="duplicate_submission")
            if kind == "charge_refunded" and d < self.as_of - timedelta(days=8):
                rd = d + timedelta(days=r.randint(2, 6))
                part = units if r.random() < 0.5 else units // 2
                re_, rtx = self.sid("re_3P", 24), self.sid("txn_3P", 24)
                self.s["charges"][-1].update(amount_refunded=part, refunded=part == units)
                self.s["refunds"].append({
                    "id": re_, "object": "refund", "amount": part, "charge": ch, "currency": ccy,
                    "created": epoch(rd), "status": "succeeded", "balance_transaction": rtx,
                    "reason": "requested_by_customer", "metadata": {}})
                reur = eur_units * part // units
                bts.append({"id": rtx, "object": "balance_transaction", "amount": -reur,
                            "currency": "eur", "fee": 0, "net": -reur, "type": "refund",
                            "reporting_category": "refund", "source": re_, "status": "available",
                            "created": epoch(rd), "available_on": epoch(rd) + 86400,
                            "exchange_rate": None, "description": "REFUND FOR CHARGE"})
                ramt = Decimal(part) / 10 ** minor[ccy]
                cr = self.erp_doc("DE10", rd, "DG", [
                    {"koart": "D", "cust": erp_c, "gl": "140000", "amount": ramt,
                     "text": f"Erstattung {re_}"},
                    {"gl": "113900", "amount": -ramt, "text": "Stripe Geldtransit"}],
                    ccy=ccy.upper(), ref=number)
                rk = self.key("S")
                self.t("billing", re_, WF_S, "refund", rk)
                self.t("erp", cr[0], WF_S, "refund", rk)
            if kind == "charge_disputed" and d < self.as_of - timedelta(days=10):
                dd = d + timedelta(days=r.randint(5, 9))
                bts.append({"id": self.sid("txn_1P", 24), "object": "balance_transaction",
                            "amount": -eur_units, "currency": "eur", "fee": 1500,
                            "net": -eur_units - 1500, "type": "adjustment",
                            "reporting_category": "dispute", "source": self.sid("dp_1P", 24),
                            "status": "available", "created": epoch(dd),
                            "available_on": epoch(dd), "exchange_rate": None,
                            "description": "Chargeback withdrawal for " + ch})
        self.payouts(bts)
        self.s["balance_transactions"] = bts

    def stripe_receipt(self, d, cust, amt, ccy, number, nm):
        return self.erp_doc("DE10", d, "DZ", [
            {"gl": "113900", "amount": amt, "text": "Stripe Geldtransit"},
            {"koart": "D", "cust": cust, "gl": "140000", "amount": -amt, "text": f"Stripe {nm[:30]}"}],
            ccy=ccy, ref=number)

    def payouts(self, bts: list):
        """Pay out the available balance every Monday and Thursday, arriving two days later."""
        r = self.r
        bts.sort(key=lambda b: b["created"])
        d, i, a1 = self.start, 0, self.accts["A1"]
        while d <= self.as_of:
            if d.weekday() in (0, 3):
                cut = int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
                total = 0
                while i < len(bts) and bts[i]["available_on"] <= cut:
                    total += bts[i]["net"]
                    i += 1
                if total > 0:
                    po, ptx = self.sid("po_1P", 24), self.sid("txn_1P", 24)
                    arr = self.next_bday(d, 2)
                    self.s["payouts"].append({
                        "id": po, "object": "payout", "amount": total, "currency": "eur",
                        "arrival_date": int(datetime(arr.year, arr.month, arr.day, tzinfo=UTC)
                                            .timestamp()), "created": cut + 3600,
                        "balance_transaction": ptx, "automatic": True, "method": "standard",
                        "status": "paid" if arr <= self.as_of else "in_transit",
                        "type": "bank_account", "description": "STRIPE PAYOUT",
                        "statement_descriptor": None, "destination": "ba_1PalpwDE10EUR"})
                    bts.append({"id": ptx, "object": "balance_transaction", "amount": -total,
                                "currency": "eur", "fee": 0, "net": -total, "type": "payout",
                                "reporting_category": "payout", "source": po,
                                "status": "available", "created": cut + 3600,
                                "available_on": cut + 3600, "exchange_rate": None,
                                "description": "STRIPE PAYOUT"})
                    amt = Decimal(total) / 100
                    lost = arr < self.as_of - timedelta(days=70) and r.random() < 0.04
                    if arr > self.as_of:
                        self.t("billing", po, WF_S, "payout_in_transit", cause="timing_difference")
                    elif lost:
                        self.t("billing", po, WF_S, "payout_not_credited",
                               cause="missing_counterpart")
                    else:
                        with_id = r.random() < 0.8
                        e = self.entry(a1, arr, [Tx(amt, "STRIPE TECHNOLOGY EUROPE LTD",
                                                    iban("IE", "SRPE99000012345678"),
                                                    ustrd=f"STRIPE {po}" if with_id else
                                                    "STRIPE PAYOUT ALPENWERK")])
                        kind = "payout_bank_credit" + ("" if with_id else "_no_id")
                        key = self.key("P")
                        self.t("billing", po, WF_S, kind, key)
                        self.t("bank", e.ref, WF_S, kind, key)
            d += timedelta(days=1)

    def sid(self, prefix: str, k: int) -> str:
        return prefix + "".join(self.r.choices(string.ascii_letters + string.digits, k=k))

    # ------------------------------------------------------- procurement
    def procurement(self, n_po: int):
        """Coupa POs with change orders, split receipts, invoices; SAP MIRO vendor lines."""
        r = self.r
        self.p = {"purchase_orders": [], "receipts": [], "invoices": []}
        # one vendors.csv row per supplier: each supplier serves one company code
        self.sup = [(1000 + i, f"3{i + 10:05d}", nm, ("DE10", "FR20", "PL30")[i % 3])
                    for i, nm in enumerate(SUPPLIERS)]
        self.unmapped_sup = (1990, "", "Kuehne Verpackung GmbH", "DE10")
        po_seq, rc_seq, in_seq = 4500010000, 700000, 900000
        for _ in range(n_po):
            kind = r.choices(["three_way", "split_receipts", "po_price_change", "po_qty_change",
                              "partial_receipt_invoiced", "erp_on_old_po_version",
                              "vendor_not_mapped", "dup_supplier_invoice", "timing", "missing",
                              "erp_po_unknown_in_coupa"],
                             [50, 14, 8, 6, 5, 4, 3, 3, 4, 3, 2])[0]
            sup = self.unmapped_sup if kind == "vendor_not_mapped" else r.choice(self.sup)
            cc = sup[3]
            ccy = "PLN" if cc == "PL30" else "EUR"
            po_seq += r.randint(1, 7)
            pon = str(po_seq)
            d0 = self.as_of - timedelta(days=r.randint(40, 118))
            if kind in ("missing", "erp_po_unknown_in_coupa"):
                d0 = self.as_of - timedelta(days=r.randint(100, 120))
            lines = [(i, r.choice(["Hydraulikzylinder", "Blech S235 2mm", "Kugellager 6204",
                                   "Sensor M12", "Pneumatikventil", "Kabel NYM 3x1,5"]),
                      Decimal(r.choice([2, 5, 10, 20, 25, 50, 100])),
                      q(Decimal(r.randint(150, 90000)) / 100))
                     for i in range(1, r.randint(1, 4) + 1)]
            versions = [lines]
            if kind in ("po_price_change", "erp_on_old_po_version"):
                versions.append([(i, t, qt, q(p * Decimal("1.06"))) for i, t, qt, p in lines])
            if kind == "po_qty_change":
                versions.append([(i, t, qt - 5, p) for i, t, qt, p in lines])
            po_id = 50000 + po_seq % 100000
            for v, ls in enumerate(versions, 1):
                self.p["purchase_orders"].append({
                    "id": po_id, "po_number": pon, "version": v,
                    "status": "issued", "company_code": cc, "currency": {"code": ccy},
                    "supplier": {"id": sup[0], "name": sup[2]},
                    "created_at": f"{d0}T08:12:00+01:00",
                    "updated_at": f"{d0 + timedelta(days=3 * (v - 1))}T09:30:00+01:00",
                    "total": str(sum(q(qt * p) for _, _, qt, p in ls)),
                    "order_lines": [{"line_num": i, "description": t, "quantity": str(qt),
                                     "price": str(p), "total": str(q(qt * p)),
                                     "account": {"code": f"{cc}-GRIR-191100"}}
                                    for i, t, qt, p in ls]})
            last = versions[-1]
            rd = d0 + timedelta(days=r.randint(5, 15))
            if kind == "timing":
                rd = self.as_of - timedelta(days=r.randint(4, 5))
            rec_ids, inv_lines = [], []
            for i, _t, qt, p in last:
                got = qt
                if kind == "partial_receipt_invoiced":
                    got = q(qt * Decimal("0.6"), Decimal(1))
                parts = [got] if kind != "split_receipts" else [q(got / 2, Decimal(1)),
                                                                 got - q(got / 2, Decimal(1))]
                for j, pq in enumerate(parts):
                    rc_seq += 1
                    rec_ids.append(str(rc_seq))
                    self.p["receipts"].append({
                        "id": rc_seq, "po_number": pon, "line_num": i, "quantity": str(pq),
                        "received_at": f"{rd + timedelta(days=3 * j)}T14:05:00+01:00"})
                inv_lines.append({"po_number": pon, "line_num": i, "quantity": str(got),
                                  "price": str(p), "total": str(q(got * p))})
            total = sum(Decimal(x["total"]) for x in inv_lines)
            idt = rd + timedelta(days=r.randint(1, 6))
            if kind == "timing":
                idt = self.as_of - timedelta(days=r.randint(1, 3))
            self.seq += 1
            inv_no = f"{sup[2][:3].upper()}-{self.seq:06d}"
            in_seq += r.randint(1, 5)
            inv_ids = [str(in_seq)]
            copies = 2 if kind == "dup_supplier_invoice" else 1
            for c in range(copies):
                if c:
                    in_seq += 1
                    inv_ids.append(str(in_seq))
                self.p["invoices"].append({
                    "id": in_seq, "invoice_number": inv_no,
                    "supplier": {"id": sup[0], "name": sup[2]}, "invoice_date": str(idt),
                    "currency": {"code": ccy}, "total": str(total), "status": "approved",
                    "created_at": f"{idt}T10:{11 + c * 20}:00+01:00",
                    "updated_at": f"{idt + timedelta(days=1)}T07:00:00+01:00",
                    "invoice_lines": inv_lines})
            refs = [("procurement", f"{pon}#v{len(versions)}")] + \
                [("procurement", x) for x in rec_ids] + [("procurement", inv_ids[0])]
            if kind not in ("timing", "missing"):
                ed = idt + timedelta(days=r.randint(1, 5))
                erp_total = total
                if kind == "erp_on_old_po_version":
                    erp_total = sum(q(qt * p) for _, _, qt, p in lines)
                vend = "399999" if kind == "vendor_not_mapped" else sup[1]
                er = self.erp_doc(cc, ed, "RE", [
                    {"koart": "K", "vend": vend, "gl": "160000" if cc != "FR20" else "401000",
                     "amount": -erp_total, "po": pon, "ref": inv_no,
                     "text": f"{sup[2][:30]} {inv_no}"},
                    {"gl": "191100", "amount": erp_total, "po": pon}], ccy=ccy, ref=inv_no)
                if kind != "erp_po_unknown_in_coupa":
                    refs.append(("erp", er[0]))
                else:
                    # the ERP got an invoice Coupa never saw (paper invoice keyed in directly)
                    refs = [("erp", er[0])]
                    for coll in ("purchase_orders", "receipts", "invoices"):
                        self.p[coll] = [x for x in self.p[coll] if x.get("po_number") != pon
                                        and not (coll == "invoices" and str(x["id"]) in inv_ids)]
            cause = {"erp_on_old_po_version": "po_change_not_synced",
                     "vendor_not_mapped": "mapping_error", "timing": "timing_difference",
                     "missing": "missing_counterpart",
                     # SPEC 5.3: "reference pointing to an unknown document" is a mapping error
                     "erp_po_unknown_in_coupa": "mapping_error"}.get(kind, "")
            key = self.key("P")
            for s, ref in refs:
                self.t(s, ref, WF_P, kind, key, cause)
            if copies == 2:
                self.t("procurement", inv_ids[1], WF_P, kind, cause="duplicate_submission")

    # ------------------------------------------------------- intercompany
    def intercompany(self, n_ic: int):
        """Group recharges between DE10, FR20 and PL30, each side booked in its own ledger."""
        r = self.r
        for _ in range(n_ic):
            kind = r.choices(["ic_ref_same_ccy", "ic_fx_local_booking", "ic_ref_in_text_only",
                              "ic_imbalance", "ic_unknown_partner", "ic_timing", "ic_missing"],
                             [40, 20, 12, 8, 4, 5, 4])[0]
            s, b = r.choice([("DE10", "FR20"), ("DE10", "PL30"), ("FR20", "PL30"),
                             ("PL30", "DE10"), ("FR20", "DE10")])
            ccy = "PLN" if s == "PL30" else "EUR"
            d = self.bday(8, 100)
            if kind == "ic_timing":
                d = self.as_of - timedelta(days=r.randint(0, 1))
            if kind == "ic_missing":
                d = self.bday(80, 115)
            amt = self.amt(1000, 200000)
            self.seq += 1
            no = f"IC-{s}-{d.year}-{self.seq:06d}"
            desc = r.choice(["Management fee", "Konzernumlage IT", "Refacturation loyer",
                             "Lizenzgebühr", "Usługi księgowe"])
            tp_s = "CH40" if kind == "ic_unknown_partner" else b
            cno = f"IC{b}"
            sr = self.erp_doc(s, d, "DR", [
                {"koart": "D", "cust": cno, "gl": "140500", "amount": amt, "tp": tp_s, "ref": no,
                 "text": f"{desc} {d:%m/%Y}"},
                {"gl": "480000", "amount": -amt, "text": desc}], ccy=ccy)
            key = self.key("I")
            if kind in ("ic_unknown_partner", "ic_timing", "ic_missing"):
                cause = {"ic_unknown_partner": "mapping_error", "ic_timing": "timing_difference",
                         "ic_missing": "missing_counterpart"}[kind]
                self.t("erp", sr[0], WF_I, kind, cause=cause)
                continue
            bd = self.next_bday(d, r.randint(1, 6))
            if bd > self.as_of:
                bd = self.as_of
            bccy, bamt = ccy, amt
            local_b = "PLN" if b == "PL30" else "EUR"
            if kind == "ic_fx_local_booking" and local_b != ccy:
                bccy = local_b
                # buyer converts at its bank's rate for the invoice date: ECB +- 0.2 %
                fx = self.rate(d, "PLN") * Decimal(str(1 + r.uniform(-0.002, 0.002)))
                bamt = q(amt * fx) if local_b == "PLN" else q(amt / fx)
            if kind == "ic_imbalance":
                bamt = q(amt * Decimal(r.choice(["0.88", "0.92", "1.10"])))
            text_only = kind == "ic_ref_in_text_only"
            br = self.erp_doc(b, bd, "KR", [
                {"koart": "K", "vend": f"IC{s}", "gl": "160500", "amount": -bamt, "tp": s,
                 "ref": "" if text_only else no,
                 "text": f"Rechnung {no} {desc}" if text_only else desc, "docdate": d},
                {"gl": "680000", "amount": bamt, "text": desc}], ccy=bccy)
            cause = "intercompany_imbalance" if kind == "ic_imbalance" else ""
            self.t("erp", sr[0], WF_I, kind, key, cause)
            self.t("erp", br[0], WF_I, kind, key, cause)

    # ------------------------------------------------------------ writers
    def write(self, out: Path):
        for sub in ("bank", "erp", "billing", "procurement", "reference"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        self.write_reference(out / "reference")
        for a in self.accts.values():
            by_month = defaultdict(list)
            for e in sorted(a.entries, key=lambda e: (e.book, e.ref)):
                by_month[(e.book.year, e.book.month)].append(e)
            bal = Decimal(self.r.randint(50000, 900000))
            for (y, m), es in sorted(by_month.items()):
                days = defaultdict(list)
                for e in es:
                    days[e.book].append(e)
                if a.fmt.startswith("camt"):
                    text, bal = self.camt(a, days, bal)
                    name = f"{a.key}_{a.ident[-6:]}_{y}{m:02d}.xml"
                else:
                    text, bal = self.mt940(a, days, bal)
                    name = f"{'STA' if a.fmt == 'spk' else 'wyciag'}_{a.key}_{y}{m:02d}" + (
                        ".sta" if a.fmt == "spk" else ".940")
                (out / "bank" / name).write_text(text, encoding="utf-8")
        cols = list(self.erp[0])
        for cc in ("DE10", "FR20", "PL30"):
            with (out / "erp" / f"FAGLL03_{cc}_{self.as_of:%Y%m%d}.csv").open(
                    "w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, cols)
                w.writeheader()
                w.writerows(x for x in self.erp if x["company_code"] == cc)
        for k, rows in self.s.items():
            for i in range(0, max(len(rows), 1), 500):
                page = rows[i:i + 500]
                (out / "billing" / f"{k}_{i // 500:03d}.json").write_text(json.dumps(
                    {"object": "list", "url": f"/v1/{k}", "has_more": i + 500 < len(rows),
                     "data": page}, ensure_ascii=False, indent=1), encoding="utf-8")
        for k, rows in self.p.items():
            (out / "procurement" / f"coupa_{k}.json").write_text(
                json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, ["source_system", "source_ref", "workflow", "expected",
                                   "match_key", "match_kind", "cause", "sub_cause"])
            w.writeheader()
            w.writerows(self.truth)

    def write_reference(self, ref: Path):
        def put(name, header, rows):
            with (ref / name).open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        put("entities.csv", ["company_code", "name", "currency"],
            [("DE10", "Alpenwerk GmbH", "EUR"), ("FR20", "Alpenwerk France SAS", "EUR"),
             ("PL30", "Alpenwerk Polska Sp. z o.o.", "PLN")])
        put("bank_accounts.csv", ["account", "company_code", "gl_account", "currency"],
            [(a.ident, a.cc, a.gl, a.ccy) for a in self.accts.values() if a.mapped])
        put("customers.csv", ["billing_customer_id", "erp_customer", "name", "company_code"],
            [(c, e, nm, "DE10") for c, e, nm in self.s_customers])
        put("vendors.csv", ["procurement_supplier_id", "erp_vendor", "name", "company_code"],
            self.sup)
        put("fx_rates.csv", ["date", "from", "to", "rate"],
            [(d.isoformat(), "EUR", k, v) for (d, k), v in sorted(self.fx.items())])

    def camt(self, a: Acct, days: dict, bal: Decimal) -> tuple[str, Decimal]:
        """One camt.053 document per month, one <Stmt> per booking day."""
        v8 = a.fmt == "camt08"
        ns = "camt.053.001.08" if v8 else "camt.053.001.02"
        o = [f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:'
             f'tech:xsd:{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
             "<BkToCstmrStmt><GrpHdr>"
             f"<MsgId>{a.key}{min(days):%Y%m%d}{self.r.randrange(10**6):06d}</MsgId>"
             f"<CreDtTm>{max(days)}T22:05:11+01:00</CreDtTm></GrpHdr>"]

        def pty(tag, t: Tx):
            nm = f"<Nm>{escape(t.name)}</Nm>" if t.name else ""
            inner = f"<Pty>{nm}</Pty>" if v8 else nm
            acct = f"<{tag}Acct><Id><IBAN>{t.iban}</IBAN></Id></{tag}Acct>" if t.iban else ""
            return f"<{tag}>{inner}</{tag}>{acct}" if t.name else acct

        for n, (d, es) in enumerate(sorted(days.items()), 1):
            opening = bal
            bal += sum(e.amount for e in es)
            cd = lambda x: "CRDT" if x >= 0 else "DBIT"  # noqa: E731
            sts = "<Sts><Cd>BOOK</Cd></Sts>" if v8 else "<Sts>BOOK</Sts>"
            o.append(f"<Stmt><Id>{a.key}-{d:%Y%m%d}-{n:03d}</Id><ElctrncSeqNb>{d:%j}"
                     f"</ElctrncSeqNb><CreDtTm>{d}T22:00:00+01:00</CreDtTm><Acct><Id>"
                     f"<IBAN>{a.ident}</IBAN></Id><Ccy>{a.ccy}</Ccy></Acct>")
            for tp, b in (("OPBD", opening), ("CLBD", bal)):
                o.append(f"<Bal><Tp><CdOrPrtry><Cd>{tp}</Cd></CdOrPrtry></Tp><Amt Ccy="
                         f'"{a.ccy}">{abs(b):.2f}</Amt><CdtDbtInd>{cd(b)}</CdtDbtInd><Dt><Dt>{d}'
                         f"</Dt></Dt></Bal>")
            for e in es:
                amt = e.amount
                ind = cd(amt)
                o.append(f'<Ntry><Amt Ccy="{a.ccy}">{abs(amt):.2f}</Amt><CdtDbtInd>{ind}'
                         f"</CdtDbtInd>" + ("<RvslInd>true</RvslInd>" if e.rvsl else "") +
                         f"{sts}<BookgDt><Dt>{e.book}</Dt></BookgDt><ValDt><Dt>{e.val}</Dt>"
                         f"</ValDt><AcctSvcrRef>{e.ref}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT"
                         f"</Cd><Fmly><Cd>{e.domn[0]}</Cd><SubFmlyCd>{e.domn[1]}</SubFmlyCd>"
                         f"</Fmly></Domn><Prtry><Cd>NTRF+{166 if amt > 0 else 116}</Cd><Issr>DK"
                         f"</Issr></Prtry></BkTxCd><NtryDtls>")
                if e.btch:
                    o.append(f"<Btch><PmtInfId>{e.btch}</PmtInfId><NbOfTxs>{len(e.txs)}"
                             f"</NbOfTxs></Btch>")
                for t in e.txs:
                    o.append(f"<TxDtls><Refs><EndToEndId>{t.e2e}</EndToEndId></Refs>")
                    if v8:
                        o.append(f'<Amt Ccy="{a.ccy}">{abs(t.amount):.2f}</Amt><CdtDbtInd>'
                                 f"{ind if len(e.txs) == 1 else cd(t.amount)}</CdtDbtInd>")
                    ad = ""
                    if t.instd:
                        ia, ic, rt = t.instd
                        ad = (f'<InstdAmt><Amt Ccy="{ic}">{ia:.2f}</Amt><CcyXchg><SrcCcy>{ic}'
                              f"</SrcCcy><TrgtCcy>{a.ccy}</TrgtCcy><UnitCcy>{ic}</UnitCcy>"
                              f"<XchgRate>{q(1 / rt, Decimal('0.000001'))}</XchgRate></CcyXchg>"
                              "</InstdAmt>")
                    if t.chrg is not None:
                        ad += (f'<InstdAmt><Amt Ccy="{a.ccy}">{abs(t.amount) + t.chrg:.2f}'
                               "</Amt></InstdAmt>") if not t.instd else ""
                    o.append(f'<AmtDtls>{ad}<TxAmt><Amt Ccy="{a.ccy}">{abs(t.amount):.2f}'
                             "</Amt></TxAmt></AmtDtls>")
                    if t.chrg is not None:
                        o.append(f'<Chrgs><TtlChrgsAndTaxAmt Ccy="{a.ccy}">{t.chrg:.2f}'
                                 f'</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy="{a.ccy}">{t.chrg:.2f}'
                                 "</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true"
                                 "</ChrgInclInd><Tp><Cd>COMM</Cd></Tp></Rcrd></Chrgs>" if v8 else
                                 f'<Chrgs><Amt Ccy="{a.ccy}">{t.chrg:.2f}</Amt><Tp><Cd>COMM'
                                 "</Cd></Tp></Chrgs>")
                    debtor = t.amount >= 0 if not e.rvsl else t.amount < 0
                    o.append("<RltdPties>" + pty("Dbtr" if debtor else "Cdtr", t) +
                             "</RltdPties>")
                    if t.strd:
                        o.append("<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd>"
                                 f"</CdOrPrtry><Issr>ISO</Issr></Tp><Ref>{t.strd}</Ref>"
                                 "</CdtrRefInf></Strd></RmtInf>")
                    elif t.ustrd:
                        o.append(f"<RmtInf><Ustrd>{escape(t.ustrd[:140])}</Ustrd></RmtInf>")
                    if t.rtr:
                        o.append(f"<RtrInf><Rsn><Cd>{t.rtr}</Cd></Rsn><AddtlInf>Konto erloschen"
                                 "</AddtlInf></RtrInf>")
                    o.append("</TxDtls>")
                o.append("</NtryDtls></Ntry>")
            o.append("</Stmt>")
        o.append("</BkToCstmrStmt>\n</Document>\n")
        return "\n".join(o), bal

    def mt940(self, a: Acct, days: dict, bal: Decimal) -> tuple[str, Decimal]:
        """Sparkasse (?-fields, :20:STARTUMSE) or Polish (~-fields) MT940, one per day."""
        spk, out = a.fmt == "spk", []

        def fmt(x: Decimal) -> str:
            return f"{abs(x):.2f}".replace(".", ",")

        def wrap(s: str) -> list[str]:
            return [s[i:i + 65] for i in range(0, len(s), 65)] or [""]

        for n, (d, es) in enumerate(sorted(days.items()), 1):
            opening = bal
            bal += sum(e.amount for e in es)
            cd = lambda x: "C" if x >= 0 else "D"  # noqa: E731
            out += [":20:STARTUMSE" if spk else f":20:{d:%y%m%d}MT940{n:03d}",
                    f":25:{a.ident}", f":28C:{int(d.strftime('%j')):05d}/001" if spk else
                    f":28C:{int(d.strftime('%j'))}/1",
                    f":60F:{cd(opening)}{d:%y%m%d}{a.ccy}{fmt(opening)}"]
            for e in es:
                t = e.txs[0]
                m = ("RC" if e.amount < 0 else "RD") if e.rvsl else cd(e.amount)
                gvc = "166" if e.amount > 0 else "116"
                if spk:
                    out.append(f":61:{e.val:%y%m%d}{e.book:%m%d}{m}{a.ccy[-1]}{fmt(e.amount)}"
                               f"N{gvc}NONREF//{e.ref}")
                    sv = [f"?2{i}{p}" for i, p in enumerate(
                        ([f"EREF+{t.e2e}"] if t.e2e != "NOTPROVIDED" else []) +
                        wrap27("SVWZ+" + (t.ustrd or t.strd)))][:10]
                    txt = {"166": "GUTSCHR. UEBERWEISUNG", "116": "SEPA-UEBERWEISUNG"}[gvc]
                    body = ascii_pl(f"{gvc}?00{txt}?109310" + "".join(sv) +
                            (f"?30BYLADEM1001?31{t.iban}" if t.iban else "") +
                            (f"?32{t.name[:27]}" if t.name else "") + "?34997")
                else:
                    out.append(f":61:{e.val:%y%m%d}{e.book:%m%d}{m}{fmt(e.amount)}S0"
                               f"{'51' if e.amount > 0 else '41'}NONREF//{e.ref}")
                    title = ascii_pl(t.ustrd or t.strd)
                    parts = [title[i:i + 27] for i in range(0, len(title), 27)][:6]
                    parts += [""] * (6 - len(parts))
                    code = "051" if e.amount > 0 else "041"
                    body = (f"{code}~00{'PRZELEW PRZYCHODZACY' if e.amount > 0 else 'PRZELEW'}"
                            + "".join(f"~2{i}{p}" for i, p in enumerate(parts)) +
                            (f"~29{ascii_pl(t.name)[:27]}" if t.name else "") +
                            (f"~38{t.iban}" if t.iban else "") + "~6000000")
                out += [":86:" + body[:61]] + wrap(body[61:]) if len(body) > 61 else \
                    [":86:" + body]
            out += [f":62F:{cd(bal)}{d:%y%m%d}{a.ccy}{fmt(bal)}", "-"]
        return "\r\n".join(x for x in out if x) + "\r\n", bal


def wrap27(s: str) -> list[str]:
    return [s[i:i + 27] for i in range(0, len(s), 27)]


def ascii_pl(s: str) -> str:
    return s.translate(str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻäöüÄÖÜßéèÉ", "acelnoszzACELNOSZZaouAOUseeE"))


def generate(out_dir: Path, seed: int, n: int, as_of: date) -> None:
    """Write Alpenwerk's source folder and truth.csv; ``n`` ~ number of bank lines."""
    g = Gen(random.Random(seed), n, as_of)
    g.procurement(max(20, n // 8))
    g.intercompany(max(15, n // 20))
    g.stripe(max(40, n // 4))
    payouts = sum(len(a.entries) for a in g.accts.values())
    g.bank_scenarios(max(50, n - payouts - 4 * 6))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    g.write(out_dir)


if __name__ == "__main__":
    from tests.unseen.cli import main
    main(generate, "Third unseen enterprise", date(2026, 3, 31))
