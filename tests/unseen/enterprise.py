"""An enterprise recon has never seen, written from SPEC §3/§5/§10 only (not from recon's simulator).

Three entities (NL10 EUR, CH20 CHF, US30 USD) and five bank accounts: ING camt.053.001.08, UBS
.001.04, JPMorgan .001.02 (``Othr/Id``), Deutsche Bank MT940 with SEPA ``?20`` sub-fields, and a
Rabobank .001.02 account missing from ``bank_accounts.csv``. SAP-style line items (DR/DZ/KR/RE/KZ/AB
documents, reconciliation accounts on D/K lines), Stripe list objects for two Stripe accounts, Coupa
JSON (with an older purchase-order extract holding version 1 of change orders), reference CSVs.
``RATES`` gives each phenomenon as a share of ``n`` bank transactions; sub-variants are drawn inside.

``truth.csv`` has one row per record in scope of SPEC §5.1, with its match group or cause. Choices:

* A disagreeing pair: both records carry the cause (SPEC §5.3), in no match group.
* No counterpart (none planted, or it falls after ``as_of``): ``timing_difference`` while the age of
  the record's *own* date (bank booking, ERP posting, Stripe ``created``, PO ``created_at``, receipt,
  invoice date) is within the workflow's settlement days, else ``missing_counterpart``;
  ``|window_edge`` in ``match_kind`` marks ages within a day of the limit. The counterpart of a
  record failing a critical expectation is treated the same way (kind ``counterpart_defective``).
* Stripe is cash application: a charge matches the customer *credit* (D, negative) of the ERP
  payment document, a refund the customer debit of the refund document, a payout the bank credit.
  The AR invoice line (D, positive) of a Stripe-billed customer has no Stripe counterpart among the
  §5.1 left-hand records; it is written (real ERPs have it) but gets no truth row, so the scorer
  lists what recon does with it apart. Likewise the ERP lines on the Rabobank account's GL 113150
  (not named in master data, so out of scope): the bank side is ``mapping_error``.
* Ties (same amount, similar names, no reference) and duplicates: the tie is an exception for every
  candidate; of two identical ERP postings the later one is ``duplicate_submission``, the first
  matches.
* ``match_kind`` names the planted scenario for every row, exceptions included (``|...`` suffixes
  are details), so the scorer can say which phenomenon fails.

    python -m tests.unseen.enterprise --out /tmp/ent --seed 1 --n 1500 --as-of 2025-11-28
"""

from __future__ import annotations

import csv
import json
import random
import string
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

SETTLE = {"bank_to_ledger": 5, "billing_to_ledger": 7, "procure_to_pay": 30, "intercompany": 10}
B2L, BIL, P2P, ICO = "bank_to_ledger", "billing_to_ledger", "procure_to_pay", "intercompany"
TRUTH_COLS = ["source_system", "source_ref", "workflow", "expected", "match_key", "match_kind",
              "cause", "sub_cause"]
ERP_COLS = ["company_code", "fiscal_year", "document_number", "line_item", "document_type",
            "posting_date", "document_date", "entry_timestamp", "gl_account", "account_type",
            "customer", "vendor", "amount", "currency", "amount_local", "local_currency",
            "reference", "assignment", "text", "clearing_document", "clearing_date",
            "trading_partner", "purchase_order"]
# Share of n (bank transactions) per planted phenomenon.
RATES = {
    "exact_reference": 0.28, "structured_reference": 0.06, "reference_in_text": 0.12,
    "fuzzy_name": 0.045, "ambiguous": 0.004, "batch_payment": 0.03, "fx_within_band": 0.012,
    "rounding": 0.006, "bank_fee": 0.012, "fx_beyond_band": 0.004, "partial_payment": 0.008,
    "overpayment": 0.004, "dd_return": 0.004, "bank_only": 0.012, "erp_only_old": 0.008,
    "duplicate_receipt": 0.005, "defect": 0.009, "unmapped_account": 0.012,
    "vendor_payment": 0.14, "payment_run": 0.10,
    "stripe_charges": 0.20, "purchase_orders": 0.06, "ic_pairs": 0.025,
}
ENTITIES = {"NL10": ("Noordzee Meettechniek B.V.", "EUR"), "CH20": ("Alpstein Sensorik AG", "CHF"),
            "US30": ("Northbeam Instruments Inc.", "USD")}
LOCAL = {cc: v[1] for cc, v in ENTITIES.items()}
# key: (company, currency, GL, statement format, account id as the statement names it, in master data)
ACCOUNTS = {
    "ING": ("NL10", "EUR", "113100", "camt08", "NL", "INGB", True),
    "DB": ("NL10", "EUR", "113110", "mt940", "37040044/0532013000", "", True),
    "UBS": ("CH20", "CHF", "113200", "camt04", "CH", "00230", True),
    "JPM": ("US30", "USD", "113300", "camt02", "000483920177", "", True),
    "RABO": ("NL10", "EUR", "113150", "camt02", "NL", "RABO", False),
}
STEMS = {
    "NL": ["Van Dijk Transport", "Bakker Techniek", "De Vries Installatie", "Jansen Meetsystemen",
           "Visser Maritiem", "Smit Procesautomatisering", "Mulder Agri", "De Boer Hydrauliek",
           "Hendriks Laboratoria", "Dekker Energie", "Van der Linden Chemie", "Kuipers Medical",
           "Verhoeven Logistiek", "Willems Elektrotechniek", "Bos Waterbeheer", "Peters Offshore"],
    "DE": ["Müller Logistik", "Schröder Anlagenbau", "Weiß Messgeräte", "Bäcker Präzisionsteile",
           "Köhler Umwelttechnik", "Groß Maschinenbau", "Hoffmann Kältetechnik", "Schäfer Analytik",
           "Krüger Prozesstechnik", "Wagner Sensorsysteme", "Jäger Wasserwirtschaft", "Löwe Chemie"],
    "CH": ["Zürcher Präzisionsmechanik", "Bernasconi Ingénierie", "Lötscher Elektronik",
           "Gisler Automation", "Brändli Pharma", "Aebischer Energie", "Rüegg Labortechnik",
           "Genève Métrologie", "Bühler Verfahrenstechnik", "Tschudin Wasser", "Fässler Medtech"],
    "US": ["Cascade Environmental Services", "Bluebonnet Petrochemical", "Ridgeline Aerospace",
           "Harbor Point Utilities", "Summit Analytical Laboratories", "Prairie Grain Cooperative",
           "Keystone Pipeline Services", "Mesa Semiconductor", "Atlantic Marine Systems",
           "Pioneer Food Processing", "Great Basin Mining", "Lakeshore Water District"],
    "INT": ["Thames Process Controls", "Fenwick Industrial", "Lyon Instrumentation",
            "Nordic Flow Systems", "Highland Distilling", "Bretagne Aquaculture"],
}
LEGAL = {"NL": ["B.V.", "B.V.", "N.V."], "DE": ["GmbH", "GmbH & Co. KG", "AG"],
         "CH": ["AG", "GmbH", "SA", "Sàrl"], "US": ["Inc.", "LLC", "Corp."],
         "INT": ["Ltd", "PLC", "SAS", "AB"]}
QUAL = ["", "", "", "Noord", "Holding", "International", "Services", "Süd", "West", "Group"]
ABBR = {"International": "Intl", "Services": "Svcs", "Laboratories": "Labs", "Systems": "Sys",
        "Maschinenbau": "Maschinenb.", "Installatie": "Install.", "Environmental": "Env.",
        "Processing": "Proc.", "Petrochemical": "Petrochem", "Elektrotechniek": "Elektrotechn."}
TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                          "ß": "ss", "é": "e", "è": "e", "à": "a", "ç": "c", "É": "E"})
LANG = {"ING": "NL", "DB": "DE", "UBS": "CH", "JPM": "US", "RABO": "NL"}
TEXTS = {  # remittance layouts per market; {r} reference, {c} customer number, {p} their PO
    "NL": ["Betaling factuur {r}", "Fact. {r} klantnr {c}", "Payment inv {r} thank you",
           "Uw ref {r} onze ref PO {p}", "FACTUUR {r} DEBNR {c}"],
    "DE": ["RE {r} vom {d}", "Rechnung Nr. {r} Kd-Nr {c}", "Rg. {r} abzgl. 0,00 Skonto",
           "Ihre Rechnung {r} Bestellung {p}"],
    "CH": ["Rechnung {r}", "Facture {r} merci", "Zahlung RG {r} Kunde {c}"],
    "US": ["RMR*IV*{r}**{a}\\", "PMT INV {r}", "INV# {r} PO {p}", "Payment inv {r} thank you"],
}
NOREF = {"NL": ["Betaling", "Termijn oktober", "Factuur", "Onze betaling"],
         "DE": ["Zahlung", "Rechnung Oktober", "Ueberweisung"], "CH": ["Zahlung", "Paiement"],
         "US": ["PAYMENT", "ACH CREDIT", "VENDOR PMT"]}
ERP_RCPT_TEXT = {"NL10": "Ontvangst {n}", "CH20": "Zahlungseingang {n}", "US30": "Customer payment - {n}"}
CENT = Decimal("0.01")
RECON_GL = {("D", False): "140000", ("D", True): "140100", ("K", False): "160000", ("K", True): "160100"}
ALNUM = string.ascii_letters + string.digits


def q2(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


def _num(s: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in s))


def iban(country: str, bban: str) -> str:
    return f"{country}{98 - _num(bban + country + '00') % 97:02d}{bban}"


def rf(ref: str) -> str:
    return f"RF{98 - _num(ref + 'RF00') % 97:02d}{ref}"


def qrr(payload26: str) -> str:
    carry = 0
    for ch in payload26:
        carry = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5][(carry + int(ch)) % 10]
    return payload26 + str((10 - carry) % 10)


class _Gen:
    def __init__(self, seed: int, n: int, as_of: date):
        self.r, self.n, self.as_of = random.Random(seed), n, as_of
        self.start = as_of - timedelta(days=60)
        self.truth: dict[tuple[str, str], dict] = {}
        self.entries: dict[str, list] = defaultdict(list)
        self.docs: list[dict] = []
        self.counters: dict = defaultdict(int)
        self.used: dict[str, set] = defaultdict(set)
        self.refs: set[str] = set()
        self.fx: dict[tuple, Decimal] = {}
        self.bdays = [self.start + timedelta(days=i) for i in range(61)
                      if (self.start + timedelta(days=i)).weekday() < 5]
        self.stripe: dict[str, dict[str, list]] = {}
        self.coupa: dict[str, list] = {"po_old": [], "po": [], "receipts": [], "invoices": []}
        self.customers: dict[str, list] = defaultdict(list)   # market -> [(num, name, iban)]
        self.vendors: dict[str, list] = defaultdict(list)
        self.master = {"customers": [], "vendors": []}
        self._rates()
        self._parties()

    # ---- basics -----------------------------------------------------------------------------
    def count(self, key: str) -> int:
        return max(1, round(RATES[key] * self.n))

    def rid(self, k: int) -> str:
        return "".join(self.r.choice(ALNUM) for _ in range(k))

    def seq(self, name: str, start: int = 0) -> int:
        self.counters[name] += 1
        return start + self.counters[name]

    def bday(self, d: date, k: int) -> date:
        while k > 0 or d.weekday() >= 5:
            d += timedelta(days=1)
            k -= d.weekday() < 5
        return d

    def day(self, lo_age: int = 0, hi_age: int = 60) -> date:
        days = [d for d in self.bdays if lo_age <= (self.as_of - d).days <= hi_age]
        return self.r.choice(days)

    def amount(self, ccy: str, lo: float = 80, hi: float = 60000) -> Decimal:
        while True:
            a = q2(Decimal(str(self.r.lognormvariate(7.3, 1.1))))
            if lo <= a <= hi and a not in self.used[ccy]:
                self.used[ccy].add(a)
                return a

    def _rates(self) -> None:
        eurchf, eurusd = 0.9420, 1.0830
        d = self.start - timedelta(days=140)
        while d <= self.as_of:
            eurchf *= 1 + self.r.gauss(0, 0.003)
            eurusd *= 1 + self.r.gauss(0, 0.004)
            if d.weekday() < 5:
                usdchf = eurchf / eurusd * (1 + self.r.gauss(0, 0.0005))
                for (f, t), v in {("EUR", "CHF"): eurchf, ("EUR", "USD"): eurusd,
                                  ("USD", "CHF"): usdchf}.items():
                    self.fx[(d, f, t)] = Decimal(f"{v:.6f}")
            d += timedelta(days=1)

    def rate(self, d: date, f: str, t: str) -> Decimal:
        if f == t:
            return Decimal(1)
        while (d, f, t) not in self.fx and (d, t, f) not in self.fx:
            d -= timedelta(days=1)
        return self.fx[(d, f, t)] if (d, f, t) in self.fx else 1 / self.fx[(d, t, f)]

    def fx_amount(self, amt: Decimal, f: str, t: str, dates: tuple, within: bool) -> Decimal:
        """amt converted at a counterparty's own rate: within 1.5 % of fx_rates on every date of
        the pair (inside the 2 % band whichever date a matcher picks), or beyond 3 % on all."""
        for _ in range(500):   # rates that moved > 3 % between the dates: fall back to their mean
            out = q2(amt * self.rate(dates[-1], f, t) * Decimal(str(1 + self.r.choice([1, -1]) * (
                self.r.uniform(0.001, 0.008) if within else self.r.uniform(0.035, 0.07)))))
            devs = [abs(out / (amt * self.rate(d, f, t)) - 1) for d in dates]
            if all(v <= Decimal("0.015") for v in devs) if within else all(v >= Decimal("0.03") for v in devs):
                return out
        mean = sum(self.rate(d, f, t) for d in dates) / len(dates)
        return q2(amt * mean * (Decimal(1) if within else Decimal("1.05")))

    def _parties(self) -> None:
        for market, stems in STEMS.items():
            country = {"INT": "GB", "US": "US"}.get(market, market)
            for i in range(max(12, self.n // 30)):
                stem = stems[i % len(stems)]
                qual = "" if i < len(stems) else self.r.choice(QUAL[3:] + [stems[(i * 7) % len(stems)].split()[-1]])
                qual = "" if qual in stem else qual
                name = " ".join(x for x in (stem, qual, self.r.choice(LEGAL[market])) if x)
                bban = f"{self.r.choice(['ABNA', 'RABO', 'COBA', 'UBSW', 'BARC'])}{self.r.randrange(10**10):010d}"
                self.customers[market].append((str(self.seq("cust", 100000)), name, iban(country, bban)))
                if market in ("NL", "US"):   # subscription customers paying through Stripe only
                    sname = f"{stem.split()[0]} {self.r.choice(['Digital', 'Labs', 'Online', 'Studio', 'Cloud'])} {i}"
                    self.customers["S" + market].append((str(self.seq("cust", 100000)),
                                                         f"{sname} {self.r.choice(LEGAL[market])}", ""))
                vname = " ".join(x for x in (self.r.choice(stems).split()[0],
                                             self.r.choice(["Components", "Supplies", "Werkzeuge", "Industrie",
                                                            "Office", "Facility", "Parts", "Tools"]),
                                             self.r.choice(LEGAL[market])) if x)
                self.vendors[market].append((str(self.seq("vend", 300000)), f"{vname} {i}" if i >= 40 else vname,
                                             iban(country, bban[::-1][:4].upper().replace("0", "X") + bban[4:])))

    def bank_name(self, name: str, heavy: bool = False) -> str:
        s = name.translate(TRANSLIT)
        styles = ["upper", "upper_drop", "drop", "abbrev"] if heavy else ["asis", "asis", "upper", "upper_drop"]
        st = self.r.choice(styles)
        if st in ("drop", "upper_drop"):
            for forms in LEGAL.values():
                for f in sorted(forms, key=len, reverse=True):
                    s = s.removesuffix(" " + f.translate(TRANSLIT))
        if st == "abbrev":
            s = " ".join(ABBR.get(w, w) for w in s.split())
        return s.upper() if st.startswith("upper") else s

    # ---- truth ------------------------------------------------------------------------------
    def row(self, sys: str, ref: str, wf: str, expected: str, key: str, kind: str, cause: str = "",
            sub: str = "") -> None:
        assert (sys, ref) not in self.truth, (sys, ref)
        self.truth[(sys, ref)] = dict(zip(TRUTH_COLS, [sys, ref, wf, expected, key, kind, cause, sub], strict=True))

    def unmatched(self, recs, wf: str, kind: str) -> None:
        for sys, ref, d in recs:
            age = (self.as_of - d).days
            cause = "timing_difference" if age <= SETTLE[wf] else "missing_counterpart"
            edge = "|window_edge" if abs(age - SETTLE[wf]) <= 1 else ""
            self.row(sys, ref, wf, "exception", "", kind + edge, cause)

    def exc(self, recs, wf: str, kind: str, cause: str, sub: str = "") -> None:
        for sys, ref, _ in recs or []:
            self.row(sys, ref, wf, "exception", "", kind, cause, sub)

    def outcome(self, wf: str, kind: str, *sides, cause: str = "", sub: str = "") -> None:
        """All sides present: a match group (or, with a cause, a disagreeing pair). Otherwise
        whatever exists waits for its counterpart: timing or missing by its own date."""
        if all(sides):
            key = "" if cause else f"G{self.seq('key'):07d}"
            for side in sides:
                for sys, ref, _ in side:
                    self.row(sys, ref, wf, "exception" if cause else "match", key, kind, cause, sub)
        else:
            self.unmatched([r for s in sides if s for r in s], wf, kind + "|counterpart_not_yet")

    # ---- record emitters --------------------------------------------------------------------
    def erp(self, cc: str, btype: str, posting: date, lines: list[dict], ccy: str | None = None,
            defect: str = "") -> list | None:
        """One balanced ERP document; returns (erp, ref, date) of its in-scope lines."""
        if posting > self.as_of:
            return None
        ccy, loc = ccy or LOCAL[cc], LOCAL[cc]
        prefix = {"DR": 18, "DZ": 14, "KR": 19, "RE": 51, "KZ": 15, "AB": 10, "DG": 17}[btype]
        docno = f"{prefix}{self.seq(f'{cc}{posting.year}{btype}', 4711):08d}"
        entry = datetime.combine(posting, datetime.min.time()) + timedelta(
            hours=7 + self.r.randrange(11), minutes=self.r.randrange(60), seconds=self.r.randrange(60))
        rate = self.rate(posting, ccy, loc)
        out, rows = [], []
        for i, ln in enumerate(lines, 1):
            amt = ln["amt"]
            if defect == "unbalanced" and i == len(lines):
                amt += self.r.choice([Decimal("-0.50"), Decimal("10.00"), Decimal("-120.00")])
            row = {"company_code": cc, "fiscal_year": str(posting.year), "document_number": docno,
                   "line_item": f"{i:03d}", "document_type": btype, "posting_date": posting.isoformat(),
                   "document_date": (posting - timedelta(days=ln.get("docdays", 0))).isoformat(),
                   "entry_timestamp": entry.strftime("%Y-%m-%d %H:%M:%S"),
                   "gl_account": ln.get("gl") or RECON_GL[ln.get("kt", "S"), bool(ln.get("tp"))],
                   "account_type": ln.get("kt", "S"), "customer": ln.get("customer", ""),
                   "vendor": ln.get("vendor", ""), "amount": f"{amt:.2f}", "currency": ccy,
                   "amount_local": f"{q2(amt * rate):.2f}", "local_currency": loc,
                   "reference": ln.get("ref", ""), "assignment": ln.get("asg", ""), "text": ln.get("text", ""),
                   "clearing_document": "", "clearing_date": "", "trading_partner": ln.get("tp", ""),
                   "purchase_order": ln.get("po", "")}
            if defect == "currency":
                row["currency"] = self.r.choice({"EUR": ["EURO", "EUO"], "CHF": ["SFR", "SFr."],
                                                 "USD": ["US$", "USS"]}[ccy])
            if ln.get("wf"):
                if defect == "amount" and not out:
                    row["amount"] = row["amount_local"] = ""
                out.append(("erp", f"{cc}/{posting.year}/{docno}/{i:03d}", posting))
            rows.append(row)
        self.docs.append({"cc": cc, "posting": posting, "rows": rows})
        return out

    def tx(self, amt: Decimal, name: str, e2e: str = "NOTPROVIDED", ustrd=(), strd=(), **kw) -> dict:
        return dict(amt=amt, name=name, e2e=e2e, ustrd=list(ustrd), strd=list(strd), **kw)

    def bank(self, acct: str, booking: date, txs: list[dict], value: date | None = None,
             chrgs: Decimal | None = None, reversal: bool = False, family: str = "") -> list | None:
        if booking > self.as_of:
            return None
        n = self.seq("svcr" + acct)
        ref = {"ING": f"{booking:%Y%m%d}{n:08d}INGB", "DB": f"{booking:%y%m%d}{n:07d}DB",
               "UBS": f"UBS-{booking:%y%m%d}-{n:06d}", "JPM": f"JPM{n:010d}",
               "RABO": f"RABO{booking:%y%m%d}{n:05d}"}[acct]
        family = family or ("RCDT" if txs[0]["amt"] > 0 else "ICDT")
        self.entries[acct].append(dict(booking=booking, value=value or booking, ref=ref, txs=txs,
                                       chrgs=chrgs, reversal=reversal, family=family))
        for i, t in enumerate(txs, 1):
            t["ref"] = ref if len(txs) == 1 else f"{ref}/{i}"
        return [("bank", t["ref"], booking) for t in txs]

    # ---- invoice numbering per entity ----------------------------------------------------------
    def invoice_no(self, cc: str) -> str:
        while True:
            s = {"NL10": f"90{self.r.randrange(10**8):08d}", "CH20": f"{self.r.randrange(8000000, 8999999)}",
                 "US30": f"NB-{self.r.randrange(600000, 699999)}"}[cc]
            if s not in self.refs:
                self.refs.add(s)
                return s

    def ref_variant(self, ref: str) -> tuple[str, str]:
        v = self.r.choice(["asis", "asis", "dash", "space", "nodash", "lower", "split", "glued", "zeropad"])
        head, _, num = ref.rpartition("-")
        out = {"dash": f"{ref[:4]}-{ref[4:]}" if not head else ref.replace("-", "--"),
               "space": " ".join(ref[i:i + 3] for i in range(0, len(ref), 3)) if not head else f"{head} {num}",
               "nodash": ref.replace("-", ""), "lower": ref.lower(),
               "glued": self.r.choice(["INV", "RE", "Fact.nr.", "#"]) + ref,
               "zeropad": f"{head}-0{num}" if head else ref.zfill(len(ref) + 3)}.get(v, ref)
        return out, ("asis" if out == ref and v != "split" else v)
    def remit(self, acct: str, ref: str, cust: str, amt: Decimal, d: date) -> tuple[list, str]:
        text_ref, v = self.ref_variant(ref)
        tpl = self.r.choice(TEXTS[LANG[acct]])
        text = tpl.format(r=text_ref, c=cust, p=f"{self.r.randrange(10000, 99999)}", a=amt, d=f"{d:%d.%m.%Y}")
        if v == "split" and acct != "DB":   # camt: 35-character lines cut inside the reference
            cut = text.index(text_ref) + len(text_ref) // 2
            return [text[:cut], text[cut:]], "reference_split_lines"
        return [text], f"reference_in_text_{v}"

    def pick_customer(self, acct: str):
        market = "INT" if acct == "ING" and self.r.random() < 0.25 else LANG[acct]
        return self.r.choice(self.customers[market])

    # ---- bank_to_ledger ------------------------------------------------------------------------
    def receipt_docs(self, acct: str, cust, inv: str, amt: Decimal, d_erp: date, erp_ref: str | None = None,
                     ccy: str | None = None, defect: str = "", asg: str | None = None) -> list | None:
        cc, gl = ACCOUNTS[acct][0], ACCOUNTS[acct][2]
        num, name, _ = cust
        if self.r.random() < 0.5:   # the invoice itself (customer line out of scope: not billed)
            self.erp(cc, "DR", d_erp - timedelta(days=self.r.randint(10, 45)), [
                dict(kt="D", customer=num, amt=amt, ref=inv, text=f"{name} {inv}", docdays=1),
                dict(gl="800000", amt=-amt, text="Revenue")], ccy=ccy)
        return self.erp(cc, "DZ", d_erp, [
            dict(gl=gl, amt=amt, ref=erp_ref or inv, asg=inv if asg is None else asg,
                 text=ERP_RCPT_TEXT[cc].format(n=name), wf=B2L if ACCOUNTS[acct][6] else None),
            dict(kt="D", customer=num, amt=-amt, ref=erp_ref or inv, asg=inv)], ccy=ccy, defect=defect)

    def receipt(self, kind: str) -> None:
        acct = self.r.choices(["ING", "DB", "UBS", "JPM"], [40, 17, 23, 20])[0]
        if kind == "structured_reference":
            acct = self.r.choice(["ING", "UBS"])
        if kind in ("fx_within_band", "fx_beyond_band", "dd_return"):
            acct = "ING"
        if kind == "unmapped_account":
            acct = "RABO"
        cc, ccy = ACCOUNTS[acct][0], ACCOUNTS[acct][1]
        cust = self.pick_customer(acct)
        if kind in ("fx_within_band", "fx_beyond_band"):
            cust = self.r.choice(self.customers["US"])
        num, name, cp_iban = cust
        inv = self.invoice_no(cc)
        doc_ccy = "USD" if kind.startswith("fx_") else ccy
        amt = self.amount(doc_ccy)
        old = kind in ("ambiguous", "erp_only_old") or (kind == "bank_only" and self.r.random() < 0.5)
        d_erp = self.day(9, 55) if old else self.day(0, 55)
        lag = self.r.choice([0, 1, 1, 1, 2, 2, 3]) if kind != "fuzzy_name" else self.r.choice([0, 1, 2])
        d_bank = self.bday(d_erp, lag)
        value = d_bank
        if kind == "exact_reference" and d_bank.weekday() == 0 and lag > 0 and self.r.random() < 0.5:
            value = d_bank - timedelta(days=self.r.choice([1, 2]))       # weekend value date
        lang = LANG[acct]
        e2e, ustrd, strd, sub_kind = inv, [self.r.choice(NOREF[lang])], [], kind
        erp_ref, bamt, chrgs, instd = None, amt, None, None
        if kind == "structured_reference":
            e2e = "NOTPROVIDED"
            if acct == "ING":
                r_ = rf(inv)
                spaced = self.r.random() < 0.5
                erp_ref = " ".join(r_[i:i + 4] for i in range(0, len(r_), 4)) if spaced else r_
                strd, sub_kind = [("SCOR", r_)], "structured_rf" + ("_spaced_in_erp" if spaced else "")
            else:
                strd, sub_kind = [("QRR", qrr(f"{int(num):06d}{int(inv):020d}"))], "structured_qrr_embeds_invoice"
        elif kind in ("reference_in_text", "bank_only", "unmapped_account"):
            e2e = self.r.choice(["NOTPROVIDED", f"{self.rid(4).upper()}{self.r.randrange(10**6)}"])
            ustrd, sub_kind = self.remit(acct, inv, num, amt, d_bank)
            if kind == "reference_in_text" and self.r.random() < 0.15:   # payer's own id wraps our number
                e2e = self.r.choice(["PAY-{}", "{}-1", "INV{}/{}"]).format(inv, d_bank.month)
                ustrd = [self.r.choice(NOREF[lang])]
                sub_kind = "reference_inside_end_to_end_id"
            if kind != "reference_in_text":
                sub_kind = kind
        elif kind in ("fuzzy_name", "ambiguous"):
            e2e = "NOTPROVIDED"
            if self.r.random() < 0.4:
                digits = list(inv)
                i = self.r.randrange(len(inv) - 3, len(inv) - 1)
                digits[i], digits[i + 1] = digits[i + 1], digits[i]
                typo = "".join(digits)
                if typo != inv and typo not in self.refs:   # reserved: no later invoice may carry it
                    self.refs.add(typo)
                    ustrd, sub_kind = [f"{self.r.choice(['Inv', 'RE', 'Factuur'])} {typo}"], kind + "_typo_reference"
        elif kind == "rounding":
            bamt = amt + self.r.choice([CENT, -CENT])
        elif kind == "bank_fee":
            fee = Decimal(self.r.choice(["7.50", "10.00", "12.50", "15.00", "20.00", "25.00", "35.00"]))
            bamt, chrgs = amt - fee, (fee if self.r.random() < 0.7 else None)
        elif kind == "partial_payment":
            bamt = q2((amt * Decimal(self.r.choice(["0.25", "0.5", "0.6", "0.75"]))).quantize(Decimal(1)))
            ustrd = [self.r.choice(["Teilzahlung RE {r}", "partial payment inv {r}", "1e termijn factuur {r}"]).format(r=inv)]
        elif kind == "overpayment":
            bamt = amt + self.r.choice([q2(amt * Decimal("0.1")), Decimal(self.r.randint(50, 500))])
        elif kind.startswith("fx_"):
            bamt = self.fx_amount(amt, "USD", "EUR", (d_erp, d_bank), kind == "fx_within_band")
            instd = ("USD", amt, amt / bamt)
        if kind == "unmapped_account":    # ERP posts to the account's own GL, which master data lacks
            erp = self.receipt_docs(acct, cust, inv, amt, d_erp)
            b = self.bank(acct, d_bank, [self.tx(amt, self.bank_name(name), e2e, ustrd, iban=cp_iban)])
            return self.exc(b, B2L, "unmapped_bank_account", "mapping_error")
        if kind == "ambiguous":      # two open ERP items, same amount, names alike; bank names neither
            other = self.r.choice(self.customers[LANG[acct]]) if self.r.random() < 0.5 else cust
            other_name = other[1] if other is cust else name.rsplit(" ", 1)[0] + " Noord " + name.rsplit(" ", 1)[1]
            e1 = self.receipt_docs(acct, cust, inv, amt, d_erp)
            e2 = self.receipt_docs(acct, (other[0], other_name, other[2]), self.invoice_no(cc), amt,
                                   self.bday(d_erp, self.r.choice([0, 1])))
            b = self.bank(acct, d_bank, [self.tx(amt, self.bank_name(name, heavy=True).removesuffix(" NOORD"),
                                                 e2e, ustrd, iban=cp_iban)])
            return self.unmatched(e1 + e2 + b, B2L, "ambiguous_same_amount_similar_name")
        erp_date = d_erp
        if kind == "bank_only":
            erp = None
        else:
            defect = self.r.choice(["amount", "currency", "unbalanced"]) if kind == "defect" else ""
            erp = self.receipt_docs(acct, cust, inv, amt, erp_date, erp_ref, ccy=doc_ccy, defect=defect)
        if kind == "erp_only_old":
            return self.unmatched(erp, B2L, "erp_receipt_never_credited")
        heavy = kind == "fuzzy_name"
        b = self.bank(acct, d_bank, [self.tx(bamt, self.bank_name(name, heavy), e2e, ustrd, strd,
                                             iban=cp_iban, instd=instd)], value=value, chrgs=chrgs,
                      family="RDDT" if kind == "dd_return" else "")
        if kind == "defect":
            self.exc(erp, B2L, f"defect_{defect}", "source_system_defect")
            return self.unmatched(b or [], B2L, "counterpart_defective") if b else None
        if kind == "duplicate_receipt" and erp:
            dup = self.receipt_docs(acct, cust, inv, amt, erp_date, erp_ref, asg=inv)
            self.exc(dup, B2L, "erp_receipt_posted_twice", "duplicate_submission")
        if kind == "bank_only":
            return self.unmatched(b or [], B2L, "bank_credit_not_booked_in_erp")
        cause = {"bank_fee": "amount_variance", "fx_beyond_band": "amount_variance",
                 "partial_payment": "amount_variance", "overpayment": "amount_variance"}.get(kind, "")
        sub = {"bank_fee": "bank_fee", "fx_beyond_band": "fx_difference", "partial_payment": "partial_payment",
               "overpayment": "overpayment"}.get(kind, "")
        label = {"rounding": "exact_reference_rounding_0.01", "duplicate_receipt": "exact_reference",
                 "fx_within_band": "exact_reference_fx_within_band", "exact_reference": "exact_reference"
                 + ("_weekend_value" if value != d_bank else "")}.get(kind, sub_kind)
        self.outcome(B2L, label + ("|chrgs_element" if chrgs else ""), b, erp, cause=cause, sub=sub)
        if kind == "dd_return" and b:   # SEPA direct-debit return: reversal entry, ERP reverses
            d_ret = self.bday(d_bank, self.r.randint(2, 5))
            rb = self.bank(acct, d_ret, [self.tx(-amt, self.bank_name(name), inv, [f"Incasso factuur {inv}"],
                                                 iban=cp_iban, rtr=self.r.choice(["AM04", "MD06", "MS02"]))],
                           reversal=True, family="RDDT")
            rv = self.erp(cc, "AB", self.bday(d_ret, self.r.choice([0, 1, 2])), [
                dict(gl=ACCOUNTS[acct][2], amt=-amt, ref=inv, asg=inv, text=f"Storno incasso {name}", wf=B2L),
                dict(kt="D", customer=num, amt=amt, ref=inv)])
            self.outcome(B2L, "direct_debit_return_reversal", rb, rv)

    def batch_receipt(self) -> None:
        acct = self.r.choices(["ING", "DB", "UBS", "JPM"], [40, 17, 23, 20])[0]
        cc, ccy = ACCOUNTS[acct][0], ACCOUNTS[acct][1]
        cust = self.pick_customer(acct)
        d_erp = self.day(0, 55)
        invs = [(self.invoice_no(cc), self.amount(ccy, 80, 9000)) for _ in range(self.r.randint(2, 6))]
        total = sum(a for _, a in invs)
        self.used[ccy].add(total)
        erps = [self.receipt_docs(acct, cust, i, a, d_erp) for i, a in invs]
        refs = [i for i, _ in invs]
        strd, text = [], f"{self.r.choice(['INV', 'Facturen', 'RE', 'Invoices'])} {', '.join(refs)}"
        if acct in ("ING", "UBS") and self.r.random() < 0.4:
            strd, text = [("CINV", i, a) for i, a in invs], "Sammelzahlung"   # ISO RfrdDocInf per invoice
        ustrd = [text[i:i + 35] for i in range(0, len(text), 35)] if acct != "DB" else [text]
        b = self.bank(acct, self.bday(d_erp, self.r.choice([0, 1, 2])),
                      [self.tx(total, self.bank_name(cust[1]), "NOTPROVIDED", ustrd, strd, iban=cust[2])])
        self.outcome(B2L, f"batch_payment_{len(invs)}", b, [r for e in erps if e for r in e] if all(erps) else None)

    def vendor_payment(self, run: bool) -> None:
        acct = "ING" if run else self.r.choices(["ING", "DB", "UBS", "JPM"], [40, 10, 25, 25])[0]
        cc, ccy, gl = ACCOUNTS[acct][:3]
        market = LANG[acct]
        d = self.day(0, 58)
        txs, erps = [], []
        for _ in range(self.r.randint(3, 8) if run else 1):
            vnum, vname, viban = self.r.choice(self.vendors[market])
            amt = self.amount(ccy)
            e2e = f"{d:%Y%m%d}{cc}{self.seq('pay' + cc):05d}"
            sup_inv = self.r.choice(["INV-2025-{:05d}", "F2025/{:04d}", "RE-{:05d}", "{:08d}"]).format(self.r.randrange(10**4, 10**5))
            erps.append(self.erp(cc, "KZ", d, [
                dict(gl=gl, amt=-amt, ref=e2e, asg=sup_inv, text=f"Payment {vname}", wf=B2L),
                dict(kt="K", vendor=vnum, amt=amt, ref=e2e, asg=sup_inv)]))
            txs.append(self.tx(-amt, vname.upper() if self.r.random() < 0.3 else vname, e2e,
                               [f"Invoice {sup_inv}"], iban=viban))
        b = self.bank(acct, self.bday(d, self.r.choice([0, 0, 1])), txs, family="ICDT")
        for i, e in enumerate(erps):
            self.outcome(B2L, "payment_run_batch_entry" if run else "exact_reference_outgoing",
                         [b[i]] if b else None, e)

    # ---- billing_to_ledger (Stripe) ------------------------------------------------------------
    def stripe_account(self, cc: str, acct: str, ccy: str, share: float, pct: str, fix: int) -> None:
        objs = self.stripe[cc] = {k: [] for k in ("charges", "refunds", "payouts", "balance_transactions", "invoices")}
        market = cc[:2]
        prefix = self.rid(8).upper()
        custs = []
        for num, name, _ in self.customers["S" + market]:
            cus = "cus_" + self.rid(14)
            custs.append((cus, num, name))
            self.master["customers"].append([cus, num, name, cc])
        pending = []   # (available_on, net, txn id)

        def txn(kind: str, amount: int, fee: int, created: int, source: str) -> str:
            tid = "txn_3" + self.rid(23)
            avail = datetime.fromtimestamp(created, UTC).date() + timedelta(days=2)
            objs["balance_transactions"].append({
                "id": tid, "object": "balance_transaction", "amount": amount, "currency": ccy.lower(),
                "available_on": int(datetime.combine(avail, datetime.min.time(), UTC).timestamp()),
                "created": created, "description": None, "exchange_rate": None, "fee": fee,
                "fee_details": [{"amount": fee, "application": None, "currency": ccy.lower(),
                                 "description": "Stripe processing fees", "type": "stripe_fee"}] if fee else [],
                "net": amount - fee, "reporting_category": kind, "source": source, "status": "available",
                "type": kind})
            if kind != "payout":
                pending.append((avail, amount - fee, tid))
            return tid

        for _ in range(round(RATES["stripe_charges"] * self.n * share)):
            scen = self.r.choices(["invoice", "no_invoice", "variance", "mapping", "duplicate", "defect", "old"],
                                  [80, 7, 2, 2, 2, 1.5, 2])[0]
            d = self.start + timedelta(days=self.r.randrange(36 if scen == "old" else 61))
            cus, num, name = self.r.choice(custs)
            if scen == "mapping":   # a second Stripe customer object nobody mapped
                cus = "cus_" + self.rid(14)
            amt = self.amount(ccy, 29, 4900)
            minor = int(amt * 100)
            created = int(datetime.combine(d, datetime.min.time(), UTC).timestamp()) + self.r.randrange(86400)
            ch = "ch_3" + self.rid(23)
            inv_id, number = ("in_1" + self.rid(23), f"{prefix}-{self.seq('stripeinv' + cc):04d}") if scen != "no_invoice" else (None, None)
            fee = int((Decimal(minor) * Decimal(pct)).quantize(Decimal(1), ROUND_HALF_UP)) + fix
            bt = txn("charge", minor, fee, created, ch)
            order = f"SO-{self.r.randrange(10**5, 10**6)}"
            objs["charges"].append({
                "id": ch, "object": "charge", "amount": minor, "amount_captured": minor, "amount_refunded": 0,
                "balance_transaction": bt, "billing_details": {"name": name, "email": None},
                "captured": True, "created": created, "currency": ccy.lower(), "customer": cus,
                "description": f"Subscription {number}" if number else f"Order {order}", "invoice": inv_id,
                "livemode": True, "metadata": {} if number else {"order_id": order}, "paid": True,
                "payment_method_details": {"type": self.r.choice(["card", "sepa_debit"] if cc == "NL10" else ["card", "us_bank_account"])},
                "refunded": False, "status": "succeeded", "calculated_statement_descriptor": "NORTHBEAM" if cc == "US30" else "NOORDZEE"})
            if inv_id:
                objs["invoices"].append({
                    "id": inv_id, "object": "invoice", "number": number, "customer": cus, "charge": ch,
                    "currency": ccy.lower(), "amount_due": minor, "amount_paid": minor, "amount_remaining": 0,
                    "subtotal": minor, "total": minor, "status": "paid", "created": created - 3600,
                    "customer_name": name, "collection_method": "charge_automatically"})
            recs_ch = [("billing", ch, d)]
            ref = number or (order if self.r.random() < 0.5 else "")
            self.erp(cc, "DR", self.bday(d, 0), [   # the AR invoice: no truth row (see module doc)
                dict(kt="D", customer=num, amt=amt, ref=ref, text=f"Stripe {number or order} {name}"),
                dict(gl="800100", amt=-amt, text="Subscription revenue")])
            if scen == "old":
                self.unmatched(recs_ch, BIL, "charge_payment_never_posted_in_erp")
                continue
            d_erp = self.bday(d, self.r.choice([0, 0, 1, 2]))
            erp_amt = q2(amt * Decimal(self.r.choice(["1.05", "0.95", "1.021"]))) if scen == "variance" else amt
            asg = ch if self.r.random() < 0.5 else ""

            def mk(erp_amt=erp_amt, ref=ref, asg=asg, d_erp=d_erp, num=num, name=name, scen=scen):
                return self.erp(cc, "DZ", d_erp, [   # cash application: Stripe clearing / customer credit
                    dict(gl="113900", amt=erp_amt, ref=ref, asg=asg, text="Stripe balance"),
                    dict(kt="D", customer=num, amt=-erp_amt, ref=ref, asg=asg, wf=BIL, text=f"Stripe payment {name}")],
                    defect="currency" if scen == "defect" else "")
            erp = mk()
            if scen == "defect":
                self.exc(erp, BIL, "defect_currency", "source_system_defect")
                self.unmatched(recs_ch, BIL, "counterpart_defective")
                continue
            if scen == "duplicate" and erp:
                self.exc(mk(), BIL, "erp_payment_posted_twice", "duplicate_submission")
            kind = {"invoice": "exact_reference_invoice_number", "duplicate": "exact_reference_invoice_number",
                    "no_invoice": "customer_mapping_amount" + ("_order_ref" if ref else ""),
                    "variance": "erp_amount_differs", "mapping": "stripe_customer_not_in_master_data"}[scen]
            cause = {"variance": "amount_variance", "mapping": "mapping_error"}.get(scen, "")
            self.outcome(BIL, kind + ("_charge_id_in_assignment" if asg and scen != "variance" else ""),
                         recs_ch, erp, cause=cause, sub="other" if scen == "variance" else "")
            if scen == "invoice" and self.r.random() < 0.06:   # a (partial) refund, paid back by the ERP
                rd = d + timedelta(days=self.r.randint(1, 20))
                if rd > self.as_of:
                    continue
                ramt = amt if self.r.random() < 0.6 else q2(amt * Decimal("0.5"))
                re = "re_3" + self.rid(23)
                rcreated = int(datetime.combine(rd, datetime.min.time(), UTC).timestamp()) + 40000
                rbt = txn("refund", -int(ramt * 100), 0, rcreated, re)
                objs["refunds"].append({"id": re, "object": "refund", "amount": int(ramt * 100), "balance_transaction": rbt,
                                        "charge": ch, "created": rcreated, "currency": ccy.lower(),
                                        "reason": "requested_by_customer", "status": "succeeded", "metadata": {}})
                rasg = re if self.r.random() < 0.5 else ""
                cm = self.erp(cc, "DZ", self.bday(rd, self.r.choice([0, 1, 2])), [
                    dict(kt="D", customer=num, amt=ramt, ref=number, asg=rasg, text=f"Stripe refund {name}", wf=BIL),
                    dict(gl="113900", amt=-ramt, ref=number, asg=rasg, text="Stripe balance")])
                self.outcome(BIL, "refund" + ("_full" if ramt == amt else "_partial"), [("billing", re, rd)], cm)
        # daily automatic payouts of the available balance, to the entity's bank account
        d = self.start
        while d <= self.as_of:
            due = [p for p in pending if p[0] <= d]
            total = sum(p[1] for p in due)
            if d.weekday() < 5 and total > 0:
                for p in due:
                    pending.remove(p)
                po = "po_1" + self.rid(23)
                created = int(datetime.combine(d, datetime.min.time(), UTC).timestamp()) + 30000
                arrival = self.bday(d, 1 if cc == "NL10" else 2)
                old = (self.as_of - d).days > 14 and self.r.random() < 0.04
                bt = txn("payout", -total, 0, created, po)
                objs["payouts"].append({
                    "id": po, "object": "payout", "amount": total, "arrival_date":
                    int(datetime.combine(arrival, datetime.min.time(), UTC).timestamp()), "automatic": True,
                    "balance_transaction": bt, "created": created, "currency": ccy.lower(),
                    "description": "STRIPE PAYOUT", "destination": "ba_1" + self.rid(23), "method": "standard",
                    "status": "paid" if arrival <= self.as_of else "in_transit", "type": "bank_account",
                    "statement_descriptor": None, "source_type": "card"})
                pay = [("billing", po, d)]
                if old:
                    self.unmatched(pay, BIL, "payout_not_credited_by_bank")
                else:
                    style = self.r.choice(["text", "text", "e2e", "e2e", "amount_only"])
                    name = "STRIPE TECHNOLOGY EUROPE LTD" if cc == "NL10" else "STRIPE"
                    t = self.tx(Decimal(total) / 100, name, po if style == "e2e" else "NOTPROVIDED",
                                [f"STRIPE PAYOUT {po}" if style == "text" else "STRIPE PAYOUT"],
                                iban=iban("IE", "STRP" + f"{self.r.randrange(10**14):014d}"))
                    self.used[ccy].add(t["amt"])
                    b = self.bank(acct, arrival, [t])
                    self.outcome(BIL, "payout_net_of_fees" + ("_amount_only" if style == "amount_only" else ""), pay, b)
            d += timedelta(days=1)

    # ---- procure_to_pay (Coupa) -------------------------------------------------------------
    def purchase_order(self) -> None:
        scen = self.r.choices(["normal", "changed_synced", "price_tol", "not_synced", "vendor_unmapped",
                               "po_typo", "duplicate", "defect", "recent", "old"],
                              [76, 4, 5, 4, 2, 1.5, 2, 1, 3, 2])[0]
        cc = self.r.choice(list(ENTITIES))
        ccy = LOCAL[cc]
        market = cc[:2]
        vnum, vname, _ = self.r.choice(self.vendors[market])
        sup = str(int(vnum) - 297000)
        if scen == "vendor_unmapped":
            sup = str(self.seq("newsup", 9000))
        else:
            self.master["vendors"].append((sup, vnum, vname, cc))
        inv_date = {"recent": self.day(0, 6), "old": self.day(40, 60)}.get(scen) or self.day(3, 58)
        d0 = inv_date - timedelta(days=self.r.randint(5, 20))
        po_no = f"45{self.seq('po', 10000000):08d}"
        lines = [dict(line_num=i, description=self.r.choice(["Pressure sensor", "Calibration service", "Cable set",
                                                             "Flow meter housing", "Field maintenance", "PLC module"]),
                      quantity=self.r.randint(1, 40), price=q2(Decimal(self.amount(ccy, 10, 2500))),
                      account="640" + str(self.r.randrange(100, 999))) for i in range(1, self.r.randint(1, 3) + 1)]

        created = f"{d0}T09:{self.r.randrange(60):02d}:00+01:00"

        def po_obj(version: int, lns: list, updated: date) -> dict:
            tot = sum(q2(ln["quantity"] * ln["price"]) for ln in lns)
            return {"id": 50000 + int(po_no[2:]) % 100000, "po_number": po_no, "version": version, "status": "issued",
                    "company_code": cc, "currency": {"code": ccy}, "supplier": {"id": int(sup), "name": vname},
                    "created_at": created, "updated_at": f"{updated}T16:05:00+01:00",
                    "total": str(tot), "order_lines": [
                        {"line_num": ln["line_num"], "description": ln["description"], "quantity": str(ln["quantity"]),
                         "price": str(ln["price"]), "total": str(q2(ln["quantity"] * ln["price"])),
                         "account": {"code": ln["account"]}} for ln in lns]}, tot
        v1, v1_total = po_obj(1, lines, d0)
        version, total = 1, v1_total
        if scen in ("changed_synced", "not_synced"):
            self.coupa["po_old"].append(v1)
            lines = [dict(ln, quantity=ln["quantity"] + self.r.randint(1, 10)) for ln in lines]
            version = 2
        latest, total = po_obj(version, lines, d0 + timedelta(days=2) if version == 2 else d0)
        self.coupa["po"].append(latest)
        recs = [("procurement", f"{po_no}#v{version}", d0)]
        for ln in lines:
            rid = self.seq("receipt", 3000000)
            rd = min(inv_date, d0 + timedelta(days=self.r.randint(3, 5)))
            self.coupa["receipts"].append({"id": rid, "po_number": po_no, "line_num": ln["line_num"],
                                           "quantity": str(ln["quantity"]), "received_at": f"{rd}T11:20:00+01:00"})
            recs.append(("procurement", str(rid), rd))
        price_f = Decimal(str(1 + self.r.uniform(0.002, 0.008))) if scen == "price_tol" else Decimal(1)
        inv_lines = [dict(po_number=po_no, line_num=ln["line_num"], quantity=str(ln["quantity"]),
                          price=str(q2(ln["price"] * price_f)), total=str(q2(ln["quantity"] * q2(ln["price"] * price_f))))
                     for ln in lines]
        inv_total = sum(Decimal(x["total"]) for x in inv_lines)
        inv_id = self.seq("supinv", 7000000)
        inv_no = self.r.choice(["INV-2025-{:05d}", "F{:06d}", "RE-{:05d}", "{:08d}", "SI/{:05d}"]).format(self.seq("invno", 10000))
        self.coupa["invoices"].append({
            "id": inv_id, "invoice_number": inv_no, "supplier": {"id": int(sup), "name": vname},
            "invoice_date": inv_date.isoformat(), "currency": {"code": ccy}, "total": str(inv_total),
            "status": "approved", "created_at": f"{inv_date}T08:00:00+01:00", "updated_at": f"{inv_date}T15:00:00+01:00",
            "invoice_lines": inv_lines})
        recs.append(("procurement", str(inv_id), inv_date))
        if scen in ("recent", "old"):
            return self.unmatched(recs, P2P, f"supplier_invoice_not_posted_{scen}")
        erp_total = v1_total if scen == "not_synced" else inv_total
        d_erp = self.bday(inv_date, self.r.randint(1, 5))
        po_ref = po_no[:2] + po_no[3] + po_no[2] + po_no[4:]   # 4510... -> 4501...: never issued

        def mk():
            return self.erp(cc, "RE", d_erp, [
                dict(kt="K", vendor=vnum, amt=-erp_total, ref=inv_no, po=po_ref if scen == "po_typo" else po_no,
                     text=f"{vname} {inv_no}", wf=P2P, docdays=(d_erp - inv_date).days),
                dict(gl="191100", amt=erp_total, po=po_no, text="GR/IR clearing")],
                defect="amount" if scen == "defect" else "")
        erp = mk()
        if scen == "defect":
            self.exc(erp, P2P, "defect_amount_missing", "source_system_defect")
            return self.unmatched(recs, P2P, "counterpart_defective")
        if scen == "duplicate" and erp:
            self.exc(mk(), P2P, "ap_invoice_posted_twice", "duplicate_submission")
        kind = {"normal": "three_way_po", "duplicate": "three_way_po", "changed_synced": "three_way_po_change_order_synced",
                "price_tol": "three_way_po_price_within_tolerance", "not_synced": "po_v2_in_coupa_v1_in_erp",
                "vendor_unmapped": "supplier_not_in_vendors_csv", "po_typo": "erp_po_number_typo"}[scen]
        cause = {"not_synced": "po_change_not_synced", "vendor_unmapped": "mapping_error",
                 "po_typo": "mapping_error"}.get(scen, "")
        self.outcome(P2P, kind, recs, erp, cause=cause)

    # ---- intercompany -----------------------------------------------------------------------
    def ic_pair(self) -> None:
        seller, buyer = self.r.choice([("NL10", "CH20"), ("NL10", "US30"), ("CH20", "NL10"),
                                       ("US30", "NL10"), ("CH20", "US30")])
        scen = self.r.choices(["same", "cross", "noref", "imbalance", "recent", "old"], [55, 25, 5, 7, 4, 4])[0]
        sccy, bccy = LOCAL[seller], LOCAL[buyer]
        x = self.amount(sccy, 500, 250000)
        d_s = {"recent": self.day(0, 6), "old": self.day(25, 60)}.get(scen) or self.day(2, 56)
        d_b = self.bday(d_s, self.r.randint(0, 4))
        ic_no = {"NL10": f"94{self.r.randrange(10**8):08d}", "CH20": f"IC/CH20/{d_s.year}/{self.seq('icch', 100)}",
                 "US30": f"US30-IC-{self.seq('icus', 1000)}"}[seller]
        sdoc = self.erp(seller, "DR", d_s, [
            dict(kt="D", customer="9000" + buyer[2:], amt=x, ref=ic_no, tp=buyer, wf=ICO,
                 text=f"IC recharge {ENTITIES[buyer][0]}"),
            dict(gl="810000", amt=-x, text="IC management fee")])
        if scen in ("recent", "old"):
            return self.unmatched(sdoc, ICO, f"ic_payable_not_booked_{scen}")
        cross = scen == "cross" or (scen == "imbalance" and self.r.random() < 0.5)
        doc_ccy, y = sccy, x
        if cross:
            doc_ccy, y = bccy, self.fx_amount(x, sccy, bccy, (d_s, d_b), scen == "cross")
        elif scen == "imbalance":
            y = x - min(q2(x * Decimal("0.4")), self.r.choice([q2(x * Decimal("0.05")), Decimal(self.r.randint(50, 2000))]))
        bdoc = self.erp(buyer, "KR", d_b, [
            dict(kt="K", vendor="9900" + seller[2:], amt=-y, ref="" if scen == "noref" else ic_no, tp=seller,
                 wf=ICO, text=f"IC {ENTITIES[seller][0]} {d_s:%m/%Y}"),
            dict(gl="610000", amt=y, text="IC management fee")], ccy=doc_ccy)
        kind = {"same": "intercompany_pair", "cross": "intercompany_pair_fx_within_band",
                "noref": "intercompany_pair_no_reference", "imbalance": "intercompany_imbalance"}[scen]
        self.outcome(ICO, kind, sdoc, bdoc, cause="intercompany_imbalance" if scen == "imbalance" else "")

    # ---- run -------------------------------------------------------------------------------
    def build(self) -> None:
        plan = [k for k in ("exact_reference", "structured_reference", "reference_in_text", "fuzzy_name",
                            "ambiguous", "fx_within_band", "rounding", "bank_fee", "fx_beyond_band",
                            "partial_payment", "overpayment", "dd_return", "bank_only", "erp_only_old",
                            "duplicate_receipt", "defect", "unmapped_account") for _ in range(self.count(k))]
        self.r.shuffle(plan)
        for k in plan:
            self.receipt(k)
        for _ in range(self.count("batch_payment")):
            self.batch_receipt()
        for _ in range(self.count("vendor_payment")):
            self.vendor_payment(run=False)
        for _ in range(max(1, self.count("payment_run") // 5)):
            self.vendor_payment(run=True)
        self.stripe_account("NL10", "ING", "EUR", 0.6, "0.015", 25)
        self.stripe_account("US30", "JPM", "USD", 0.4, "0.029", 30)
        for _ in range(self.count("purchase_orders")):
            self.purchase_order()
        for _ in range(self.count("ic_pairs")):
            self.ic_pair()

    # ---- writers -----------------------------------------------------------------------------
    def account_ids(self) -> dict[str, str]:
        r = random.Random(7)   # fixed: the company's accounts do not change with the seed
        out = {}
        for acct, (_, _, _, _, ident, bank, _) in ACCOUNTS.items():
            if len(ident) == 2:
                bban = bank + "".join(str(r.randrange(10)) for _ in range(10 if ident == "NL" else 12))
                ident = iban(ident, bban)
            out[acct] = ident
        return out

    def _ntry(self, acct: str, e: dict, ver: str, ccy: str) -> str:
        v2, v8 = ver == "02", ver == "08"
        total = sum(t["amt"] for t in e["txs"])
        cd = "CRDT" if total > 0 else "DBIT"
        p = [f'<Ntry><Amt Ccy="{ccy}">{abs(total):.2f}</Amt><CdtDbtInd>{cd}</CdtDbtInd>']
        if e["reversal"]:
            p.append("<RvslInd>true</RvslInd>")
        p.append("<Sts><Cd>BOOK</Cd></Sts>" if v8 else "<Sts>BOOK</Sts>")
        p.append(f"<BookgDt><Dt>{e['booking']}</Dt></BookgDt><ValDt><Dt>{e['value']}</Dt></ValDt>"
                 f"<AcctSvcrRef>{e['ref']}</AcctSvcrRef>")
        sub = "UPDD" if e["reversal"] else {"RDDT": "ESDD"}.get(e["family"], "ESCT" if acct != "JPM" else "DMCT")
        p.append(f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{e['family']}</Cd><SubFmlyCd>{sub}</SubFmlyCd>"
                 "</Fmly></Domn></BkTxCd>")
        if e["chrgs"] and not v2:
            p.append(f'<Chrgs><TtlChrgsAndTaxAmt Ccy="{ccy}">{e["chrgs"]}</TtlChrgsAndTaxAmt><Rcrd>'
                     f'<Amt Ccy="{ccy}">{e["chrgs"]}</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true'
                     "</ChrgInclInd><Tp><Cd>COMM</Cd></Tp><Br>SHAR</Br></Rcrd></Chrgs>")
        p.append("<NtryDtls>")
        if len(e["txs"]) > 1:
            p.append(f"<Btch><PmtInfId>PMTRUN-{e['booking']:%Y%m%d}-{e['ref'][-4:]}</PmtInfId><NbOfTxs>"
                     f'{len(e["txs"])}</NbOfTxs><TtlAmt Ccy="{ccy}">{abs(total):.2f}</TtlAmt><CdtDbtInd>{cd}'
                     "</CdtDbtInd></Btch>")
        for t in e["txs"]:
            amt = f"{abs(t['amt']):.2f}"
            p.append(f"<TxDtls><Refs><EndToEndId>{escape(t['e2e'])}</EndToEndId></Refs>")
            if not v2:
                p.append(f'<Amt Ccy="{ccy}">{amt}</Amt><CdtDbtInd>{cd}</CdtDbtInd>')
            if t.get("instd"):
                ic, ia, rate = t["instd"]
                p.append(f'<AmtDtls><InstdAmt><Amt Ccy="{ic}">{ia}</Amt><CcyXchg><SrcCcy>{ic}</SrcCcy>'
                         f"<TrgtCcy>{ccy}</TrgtCcy><UnitCcy>{ccy}</UnitCcy><XchgRate>{rate:.6f}</XchgRate>"
                         f'</CcyXchg></InstdAmt><TxAmt><Amt Ccy="{ccy}">{amt}</Amt></TxAmt></AmtDtls>')
            elif v2:
                p.append(f'<AmtDtls><TxAmt><Amt Ccy="{ccy}">{amt}</Amt></TxAmt></AmtDtls>')
            if e["chrgs"] and v2:
                p.append(f'<Chrgs><Amt Ccy="{ccy}">{e["chrgs"]}</Amt><Tp><Cd>COMM</Cd></Tp></Chrgs>')
            role = "Dbtr" if (t["amt"] > 0) != e["reversal"] else "Cdtr"
            nm = f"<Nm>{escape(t['name'][:70])}</Nm>"
            p.append(f"<RltdPties><{role}>{f'<Pty>{nm}</Pty>' if v8 else nm}</{role}>"
                     f"<{role}Acct><Id><IBAN>{t['iban']}</IBAN></Id></{role}Acct></RltdPties><RmtInf>")
            p += [f"<Ustrd>{escape(u[:140])}</Ustrd>" for u in t["ustrd"] if u]
            for tp, ref, *amt in t["strd"]:
                if tp == "CINV":
                    p.append(f"<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{ref}</Nb>"
                             f'</RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy="{ccy}">{amt[0]:.2f}</RmtdAmt></RfrdDocAmt></Strd>')
                    continue
                tpx = "<Cd>SCOR</Cd>" if tp == "SCOR" else "<Prtry>QRR</Prtry>"
                p.append(f"<Strd><CdtrRefInf><Tp><CdOrPrtry>{tpx}</CdOrPrtry></Tp><Ref>{ref}</Ref>"
                         "</CdtrRefInf></Strd>")
            p.append("</RmtInf>")
            if t.get("rtr"):
                p.append(f"<RtrInf><Rsn><Cd>{t['rtr']}</Cd></Rsn></RtrInf>")
            p.append("</TxDtls>")
        p.append("</NtryDtls></Ntry>")
        return "".join(p)

    def _days(self, acct: str):
        by_day = defaultdict(list)
        for e in self.entries[acct]:
            by_day[e["booking"]].append(e)
        bal = Decimal(self.r.randrange(200000, 900000)) + Decimal(self.r.randrange(100)) / 100
        for i, day in enumerate(sorted(by_day), 1):
            ents = by_day[day]
            close = bal + sum(t["amt"] for e in ents for t in e["txs"])
            yield i, day, ents, bal, close
            bal = close

    def write_camt(self, acct: str, ident: str, out: Path) -> None:
        cc, ccy, _, fmt, *_ = ACCOUNTS[acct]
        ver = fmt[-2:]
        idx = f"<IBAN>{ident}</IBAN>" if ident[:2].isalpha() else f"<Othr><Id>{ident}</Id></Othr>"

        def bal(code: str, amt: Decimal, d: date) -> str:
            return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{ccy}\">{abs(amt):.2f}</Amt>"
                    f"<CdtDbtInd>{'CRDT' if amt >= 0 else 'DBIT'}</CdtDbtInd><Dt><Dt>{d}</Dt></Dt></Bal>")
        for i, day, ents, opening, closing in self._days(acct):
            ts = f"{self.bday(day, 0)}T22:{i % 60:02d}:00+01:00"
            body = "\n".join(self._ntry(acct, e, ver, ccy) for e in ents)
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
                   f'camt.053.001.{ver}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
                   f"<BkToCstmrStmt><GrpHdr><MsgId>{acct}{day:%Y%m%d}{i:04d}</MsgId><CreDtTm>{ts}</CreDtTm>"
                   f"</GrpHdr>\n<Stmt><Id>{acct}-{ident[-6:]}-{day:%Y%m%d}</Id><ElctrncSeqNb>{i}</ElctrncSeqNb>"
                   f"<LglSeqNb>{i}</LglSeqNb><CreDtTm>{ts}</CreDtTm><FrToDt><FrDtTm>{day}T00:00:00+01:00"
                   f"</FrDtTm><ToDtTm>{day}T23:59:59+01:00</ToDtTm></FrToDt><Acct><Id>{idx}</Id><Ccy>{ccy}</Ccy>"
                   f"<Ownr><Nm>{escape(ENTITIES[cc][0])}</Nm></Ownr></Acct>\n"
                   f"{bal('OPBD', opening, day)}{bal('CLBD', closing, day)}\n{body}\n</Stmt></BkToCstmrStmt>"
                   "</Document>\n")
            (out / f"{acct.lower()}_{ident[-4:]}_{day:%Y%m%d}.xml").write_text(xml, encoding="utf-8")

    def write_mt940(self, acct: str, ident: str, out: Path) -> None:
        ccy = ACCOUNTS[acct][1]

        def swift(s: str) -> str:
            s = s.translate(TRANSLIT).replace("&", "+")
            return "".join(ch if ch.isalnum() and ch.isascii() or ch in " /-:().,'+" else " " for ch in s)

        def money(a: Decimal) -> str:
            return f"{abs(a):.2f}".replace(".", ",")

        lines = []
        for i, day, ents, opening, closing in self._days(acct):
            lines += [f":20:STARTUMS{day:%y%m%d}", f":25:{ident}", f":28C:{i:05d}/001",
                      f":60F:{'C' if opening >= 0 else 'D'}{day:%y%m%d}{ccy}{money(opening)}"]
            for e in ents:
                t = e["txs"][0]
                cust = t["e2e"] if len(t["e2e"]) <= 16 and t["e2e"] != "NOTPROVIDED" else "NONREF"
                mark = ("R" if e["reversal"] else "") + ("C" if t["amt"] > 0 else "D")
                lines.append(f":61:{e['value']:%y%m%d}{e['booking']:%m%d}{mark}{money(t['amt'])}NTRF{cust}//{e['ref']}")
                code, label = ("166", "SEPA-GUTSCHRIFT") if t["amt"] > 0 else ("177", "SEPA-UEBERWEISUNG")
                pieces = []
                for kw in (f"EREF+{t['e2e']}", "SVWZ+" + swift(" ".join(t["ustrd"]))):
                    pieces += [kw[j:j + 27] for j in range(0, len(kw), 27)]
                name = swift(t["name"])
                body = (f"{code}?00{label}?109310" + "".join(f"?{20 + j}{c}" for j, c in enumerate(pieces[:10]))
                        + f"?30COBADEFFXXX?31{t['iban']}?32{name[:27]}" + (f"?33{name[27:54]}" if name[27:] else ""))
                lines.append(":86:" + body[:61])
                lines += [body[j:j + 65] for j in range(61, len(body), 65)]
            lines += [f":62F:{'C' if closing >= 0 else 'D'}{day:%y%m%d}{ccy}{money(closing)}", "-"]
        (out / f"mt940_{ident.split('/')[-1]}.sta").write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))

    def write(self, out: Path) -> None:
        for sub in ("bank", "erp", "billing", "procurement", "reference"):
            (out / sub).mkdir(parents=True, exist_ok=True)
        ids = self.account_ids()
        for acct in ACCOUNTS:
            (self.write_mt940 if ACCOUNTS[acct][3] == "mt940" else self.write_camt)(acct, ids[acct], out / "bank")
        files = defaultdict(list)
        for doc in self.docs:
            files[(doc["cc"], f"{doc['posting']:%Y%m}")].extend(doc["rows"])
        for (cc, month), rows in sorted(files.items()):
            with (out / "erp" / f"line_items_{cc}_{month}.csv").open("w", newline="", encoding="utf-8") as f:
                w = csv.DictWriter(f, ERP_COLS)
                w.writeheader()
                w.writerows(rows)
        for cc, objs in self.stripe.items():
            for kind, items in objs.items():
                items.sort(key=lambda o: (-o["created"], o["id"]))
                pages = [items[i:i + 100] for i in range(0, len(items), 100)] or [[]]
                for k, page in enumerate(pages, 1):
                    doc = {"object": "list", "data": page, "has_more": k < len(pages), "url": f"/v1/{kind}"}
                    (out / "billing" / f"{cc.lower()}_{kind}_{k:03d}.json").write_text(json.dumps(doc, indent=1))
        old_day = self.as_of - timedelta(days=20)
        for name, items in (("purchase_orders_" + f"{old_day:%Y%m%d}", self.coupa["po_old"]),
                            ("purchase_orders", self.coupa["po"]), ("receipts", self.coupa["receipts"]),
                            ("invoices", self.coupa["invoices"])):
            (out / "procurement" / f"{name}.json").write_text(json.dumps(items, indent=1))
        ref = out / "reference"
        tables = {
            "customers.csv": (["billing_customer_id", "erp_customer", "name", "company_code"], self.master["customers"]),
            "vendors.csv": (["procurement_supplier_id", "erp_vendor", "name", "company_code"],
                            sorted(set(self.master["vendors"]))),
            "bank_accounts.csv": (["account", "company_code", "gl_account", "currency"],
                                  [[ids[a], v[0], v[2], v[1]] for a, v in ACCOUNTS.items() if v[6]]),
            "entities.csv": (["company_code", "name", "currency"], [[cc, n, c] for cc, (n, c) in ENTITIES.items()]),
            "fx_rates.csv": (["date", "from", "to", "rate"], [[d.isoformat(), f, t, str(v)]
                                                              for (d, f, t), v in sorted(self.fx.items())]),
        }
        for fname, (header, rows) in tables.items():
            with (ref / fname).open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, TRUTH_COLS)
            w.writeheader()
            w.writerows(sorted(self.truth.values(), key=lambda r: (r["source_system"], r["source_ref"])))


def generate(out_dir: Path, seed: int, n: int, as_of: date) -> None:
    """Write a source folder (bank/ erp/ billing/ procurement/ reference/) and truth.csv."""
    g = _Gen(seed, n, as_of)
    g.build()
    g.write(Path(out_dir))


if __name__ == "__main__":
    from tests.unseen.cli import main

    main(generate, __doc__.splitlines()[0], date(2025, 11, 28))
