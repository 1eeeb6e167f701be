"""The simulated files are well-formed, add up, and contain every record truth.csv names."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml import ElementTree

from jobs.simulate import simulate
from jobs.simulate.parties import similarity

AS_OF = dt.date(2025, 3, 31)
D = Decimal


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    summary = simulate(out, seed=11, records=3000, as_of=AS_OF)
    return out, summary


@pytest.fixture(scope="module")
def truth(sim):
    with (sim[0] / "truth.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- readers of what the simulator writes ----------------------------------------------------
def _ns(root) -> dict[str, str]:
    return {"c": root.tag[1:].split("}")[0]}


def read_camt(path: Path) -> list[dict]:
    """Statements with their balances and entries (batch entries expanded per detail)."""
    root = ElementTree.parse(path).getroot()
    ns = _ns(root)
    out = []
    for stmt in root.iterfind(".//c:Stmt", ns):
        acct = stmt.findtext("c:Acct/c:Id/c:IBAN", None, ns) or stmt.findtext(
            "c:Acct/c:Id/c:Othr/c:Id", None, ns)
        bal = {}
        for b in stmt.iterfind("c:Bal", ns):
            amt = D(b.findtext("c:Amt", None, ns))
            bal[b.findtext("c:Tp/c:CdOrPrtry/c:Cd", None, ns)] = \
                amt if b.findtext("c:CdtDbtInd", None, ns) == "CRDT" else -amt
        entries = []
        for n in stmt.iterfind("c:Ntry", ns):
            sign = 1 if n.findtext("c:CdtDbtInd", None, ns) == "CRDT" else -1
            amount = sign * D(n.findtext("c:Amt", None, ns))
            txs = n.findall("c:NtryDtls/c:TxDtls", ns)
            entries.append({
                "ref": n.findtext("c:AcctSvcrRef", None, ns), "amount": amount,
                "booking": dt.date.fromisoformat(n.findtext("c:BookgDt/c:Dt", None, ns)),
                "value": dt.date.fromisoformat(n.findtext("c:ValDt/c:Dt", None, ns)),
                "charges": n.findtext("c:Chrgs/c:TtlChrgsAndTaxAmt", None, ns),
                "details": [{
                    "amount": sign * D(t.findtext("c:Amt", None, ns)
                                       or t.findtext("c:AmtDtls/c:TxAmt/c:Amt", None, ns)),
                    "e2e": t.findtext("c:Refs/c:EndToEndId", None, ns),
                    "name": t.findtext(".//c:Nm", None, ns),
                    "text": " ".join(x.text for x in t.iterfind("c:RmtInf/c:Ustrd", ns)),
                    "instructed": t.findtext("c:AmtDtls/c:InstdAmt/c:Amt", None, ns)}
                    for t in txs]})
        out.append({"id": stmt.findtext("c:Id", None, ns), "account": acct, "bal": bal,
                    "n": int(stmt.findtext("c:TxsSummry/c:TtlNtries/c:NbOfNtries", None, ns)),
                    "entries": entries, "version": ns["c"][-2:]})
    return out


def read_mt940(path: Path) -> list[dict]:
    text = path.read_bytes().decode("ascii")
    out = []
    for block in text.split("\r\n-\r\n"):
        if not block.strip():
            continue
        lines = block.split("\r\n")
        tags: list[list[str]] = []
        for ln in lines:
            if re.match(r"^:\d\d[A-Z]?:", ln):
                tags.append([ln])
            else:
                tags[-1].append(ln)
        st = {"lines": lines, "entries": []}
        for t in tags:
            tag, body = t[0][1:].split(":", 1)
            if tag == "25":
                st["account"] = body
            elif tag in ("60F", "62F"):
                amt = D(body[10:].replace(",", "."))
                st[tag] = amt if body[0] == "C" else -amt
            elif tag == "61":
                m = re.match(r"(\d{6})(\d{4})(C|D)([\d,]+)N(\w{3})(.*)//(\S+)", body)
                amt = D(m.group(4).replace(",", "."))
                value = dt.datetime.strptime(m.group(1), "%y%m%d").date()
                booking = dt.date(value.year, int(m.group(2)[:2]), int(m.group(2)[2:]))
                if (booking - value).days < -180:   # booked in January, value date December
                    booking = booking.replace(year=value.year + 1)
                st["entries"].append({"ref": m.group(7), "own": m.group(6), "value": value,
                                      "amount": amt if m.group(3) == "C" else -amt,
                                      "booking": booking})
            elif tag == "86":
                details = st["entries"][-1]["details"] = "".join([body, *t[1:]])
                m = re.search(r"\?32([^?]*)(?:\?33([^?]*))?", details) or \
                    re.search(r"/CNTP/[^/]*/[^/]*/([^/]*)/", details)
                st["entries"][-1]["name"] = "".join(g or "" for g in m.groups())
                subfields = re.findall(r"\?(2\d)([^?]*)", details)   # ?20..?29: purpose
                st["entries"][-1]["purpose"] = "".join(v for _, v in subfields) or details
        out.append(st)
    return out


def bank_records(folder: Path) -> dict[str, dict]:
    """source_ref → (account, amount, booking, e2e, name, text), per SPEC §10."""
    recs: dict[str, dict] = {}
    refs: Counter = Counter()
    for path in sorted((folder / "bank").glob("*.xml")):
        for st in read_camt(path):
            for e in st["entries"]:
                many = len(e["details"]) > 1
                for i, det in enumerate(e["details"], 1):
                    ref = f"{e['ref']}/{i}" if many else e["ref"]
                    refs[ref] += 1
                    recs[ref] = {**det, "account": st["account"], "booking": e["booking"],
                                 "value": e["value"], "charges": e["charges"]}
    for path in sorted((folder / "bank").glob("*.sta")):
        for st in read_mt940(path):
            for e in st["entries"]:
                refs[e["ref"]] += 1
                recs[e["ref"]] = {**e, "account": st["account"], "text": e["purpose"],
                                  "e2e": e["own"]}
    assert max(refs.values()) == 1, [r for r, n in refs.items() if n > 1][:5]
    return recs


def erp_lines(folder: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((folder / "erp").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                ref = f"{row['company_code']}/{row['fiscal_year']}/{row['document_number']}/{row['line_item']}"
                assert ref not in out
                out[ref] = row
    return out


def stripe_objects(folder: Path, kind: str) -> list[dict]:
    data = []
    for path in sorted((folder / "billing").glob(f"stripe_*_{kind}_*.json")):
        data.extend(json.loads(path.read_text(encoding="utf-8"))["data"])
    return data


def coupa(folder: Path, kind: str) -> list[dict]:
    out = []
    for path in sorted((folder / "procurement").glob(f"coupa_*_{kind}.json")):
        out.extend(json.loads(path.read_text(encoding="utf-8")))
    return out


@pytest.fixture(scope="module")
def bank(sim):
    return bank_records(sim[0])


@pytest.fixture(scope="module")
def erp(sim):
    return erp_lines(sim[0])


# --- tests -------------------------------------------------------------------------------------
def test_camt_statements_parse_and_add_up(sim):
    versions = set()
    for path in sorted((sim[0] / "bank").glob("*.xml")):
        for st in read_camt(path):
            versions.add(st["version"])
            total = sum(e["amount"] for e in st["entries"])
            assert st["bal"]["OPBD"] + total == st["bal"]["CLBD"], st["id"]
            assert st["n"] == len(st["entries"])
            for e in st["entries"]:
                assert sum(d["amount"] for d in e["details"]) == e["amount"], e["ref"]
    assert versions == {"08", "02"}


def test_mt940_statements_add_up_and_keep_swift_lines(sim):
    import mt940

    files = sorted((sim[0] / "bank").glob("*.sta"))
    assert files
    for path in files:
        statements = read_mt940(path)
        for prev, st in zip([None, *statements], statements, strict=False):
            assert st["60F"] + sum(e["amount"] for e in st["entries"]) == st["62F"]
            if prev:
                assert prev["62F"] == st["60F"]
            assert all(len(ln) <= 65 for ln in st["lines"])
        parsed = mt940.parse(str(path))
        assert len(parsed.transactions) == sum(len(s["entries"]) for s in statements)


def test_erp_documents_balance_except_planted_defects(sim, truth, erp):
    lines = erp
    header = (sim[0] / "erp" / "line_items_DE01.csv").read_text(encoding="utf-8").split("\n")[0]
    assert header == ("company_code,fiscal_year,document_number,line_item,document_type,"
                      "posting_date,document_date,entry_timestamp,gl_account,account_type,"
                      "customer,vendor,amount,currency,amount_local,local_currency,reference,"
                      "assignment,text,clearing_document,clearing_date,trading_partner,"
                      "purchase_order")
    defects = {r["source_ref"].rsplit("/", 1)[0] for r in truth
               if r["cause"] == "source_system_defect"}
    docs: dict[str, Decimal] = defaultdict(Decimal)
    for ref, row in lines.items():
        docs[ref.rsplit("/", 1)[0]] += D(row["amount_local"] or "0")
    unbalanced = {doc for doc, total in docs.items() if total}
    assert unbalanced <= defects
    assert unbalanced   # the planted unbalanced documents are there


def test_stripe_lists_are_api_pages_and_payouts_add_up(sim):
    for path in (sim[0] / "billing").glob("*.json"):
        page = json.loads(path.read_text(encoding="utf-8"))
        assert page["object"] == "list" and page["url"].startswith("/v1/")
        assert page["has_more"] is False   # small run: one page per list
    txns = stripe_objects(sim[0], "balance_transactions")
    net_by_payout = defaultdict(int)
    for t in txns:
        assert t["net"] == t["amount"] - t["fee"]
        if t["payout"]:
            net_by_payout[t["payout"]] += t["net"]
    payouts = stripe_objects(sim[0], "payouts")
    assert payouts
    for p in payouts:
        assert p["amount"] == net_by_payout[p["id"]] > 0
    invoices = {i["id"]: i for i in stripe_objects(sim[0], "invoices")}
    for ch in stripe_objects(sim[0], "charges"):
        assert invoices[ch["invoice"]]["charge"] == ch["id"]
        assert ch["currency"] in ("eur", "usd", "jpy")


def test_every_truth_record_exists_exactly_once(sim, truth, bank, erp):
    folder = sim[0]
    keys = Counter((r["source_system"], r["source_ref"]) for r in truth)
    assert max(keys.values()) == 1
    have = {
        "bank": set(bank),
        "erp": set(erp),
        "billing": {o["id"] for k in ("charges", "refunds", "payouts")
                    for o in stripe_objects(folder, k)},
        "procurement": {str(o["id"]) for k in ("invoices", "receipts") for o in coupa(folder, k)}
        | {f"{o['po_number']}#v{o['version']}" for o in coupa(folder, "purchase_orders")},
    }
    for system, ref in keys:
        assert ref in have[system], (system, ref)
    in_truth = {s: {r for (sy, r) in keys if sy == s} for s in have}
    assert have["bank"] == in_truth["bank"]          # every bank line is in scope
    assert have["billing"] == in_truth["billing"]    # charges, refunds, payouts: all in scope
    assert len(in_truth["erp"]) < len(have["erp"])   # offset lines are out of scope


def test_nothing_is_dated_after_as_of(sim, truth, bank, erp):
    folder = sim[0]
    for rec in bank.values():
        assert rec["booking"] <= AS_OF and rec["value"] <= AS_OF
    defects = {r["source_ref"] for r in truth if r["cause"] == "source_system_defect"}
    for ref, row in erp.items():
        assert row["entry_timestamp"][:10] <= str(AS_OF) and row["document_date"] <= str(AS_OF)
        if row["posting_date"] > str(AS_OF):
            assert ref.rsplit("/", 1)[0] in {d.rsplit("/", 1)[0] for d in defects}
    end = int(dt.datetime(2025, 4, 1, tzinfo=dt.UTC).timestamp())
    for kind in ("charges", "refunds", "payouts", "balance_transactions", "invoices"):
        for o in stripe_objects(folder, kind):
            assert o["created"] < end and o.get("arrival_date", 0) < end
    for kind, fields in (("purchase_orders", ("created_at",)), ("receipts", ("received_at",)),
                         ("invoices", ("created_at", "invoice_date"))):
        for o in coupa(folder, kind):
            assert all(o[f][:10] <= str(AS_OF) for f in fields)


def _groups(truth, kind):
    groups = defaultdict(list)
    for r in truth:
        if r["match_kind"] == kind:
            groups[r["match_key"]].append(r)
    return groups


def test_fuzzy_pairs_have_exactly_one_candidate(sim, truth, bank, erp):
    folder = sim[0]
    gl_of = {row.split(",")[0]: row.split(",")[2] for row in
             (folder / "reference" / "bank_accounts.csv").read_text().splitlines()[1:]}
    groups = _groups(truth, "fuzzy_name")
    assert groups
    for members in groups.values():
        b = bank[next(m["source_ref"] for m in members if m["source_system"] == "bank")]
        e = erp[next(m["source_ref"] for m in members if m["source_system"] == "erp")]
        posted = dt.date.fromisoformat(e["posting_date"])
        assert D(e["amount"]) == b["amount"] and abs((posted - b["booking"]).days) <= 5
        assert similarity(b["name"], e["text"]) >= 85
        same_b = [r for r in bank.values() if r["amount"] == b["amount"]
                  and gl_of.get(r["account"]) == e["gl_account"]]
        same_e = [r for r in erp.values() if r["amount"] == e["amount"]
                  and r["gl_account"] == e["gl_account"]]
        assert len(same_b) == 1 and len(same_e) == 1


def _norm(s: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", s.upper())


def test_reference_in_text_and_batches_name_their_erp_lines(truth, bank, erp):
    for kind in ("reference_in_text", "batch_payment"):
        groups = _groups(truth, kind)
        assert groups
        for members in groups.values():
            b = bank[next(m["source_ref"] for m in members if m["source_system"] == "bank")]
            es = [erp[m["source_ref"]] for m in members if m["source_system"] == "erp"]
            assert b["e2e"] in ("NOTPROVIDED", "NONREF")
            assert sum(D(e["amount"]) for e in es) == b["amount"]
            for e in es:
                assert _norm(e["reference"] or e["assignment"]) in _norm(b["text"])


def test_payouts_match_bank_and_ledger(sim, truth, bank, erp):
    payouts = {p["id"]: p for p in stripe_objects(sim[0], "payouts")}
    for members in _groups(truth, "payout_net_of_fees").values():
        by = {m["source_system"]: m["source_ref"] for m in members}
        assert set(by) == {"billing", "bank", "erp"}
        amount = payouts[by["billing"]]["amount"]
        dec = 0 if payouts[by["billing"]]["currency"] == "jpy" else 2
        assert bank[by["bank"]]["amount"] == D(amount).scaleb(-dec)
        assert erp[by["erp"]]["reference"] == by["billing"]
        assert D(erp[by["erp"]]["amount"]) == D(amount).scaleb(-dec)


def test_intercompany_pairs_agree_after_fx(sim, truth, erp):
    rates = {}
    with (sim[0] / "reference" / "fx_rates.csv").open() as fh:
        for r in csv.DictReader(fh):
            rates[(r["date"], r["from"], r["to"])] = D(r["rate"])
    for kind in ("intercompany_pair", "intercompany_imbalance"):
        rows = _groups(truth, kind) if kind == "intercompany_pair" else {
            k: [r for r in truth if r["match_key"] == k]
            for k in {r["match_key"] for r in truth if r["cause"] == kind}}
        assert rows
        for members in rows.values():
            a, b = sorted((erp[m["source_ref"]] for m in members), key=lambda r: -D(r["amount"]))
            assert a["trading_partner"] == b["company_code"] and a["reference"] == b["reference"]
            rate = rates[(a["posting_date"], a["currency"], b["currency"])]
            exp = (D(a["amount"]) * rate).quantize(D(b["amount"]))
            diff = abs(exp + D(b["amount"])) / abs(D(b["amount"]))
            assert (diff <= D("0.0001")) if kind == "intercompany_pair" else (diff > D("0.02"))


def test_amount_variances_share_the_reference(truth, bank, erp):
    subs = Counter()
    keys = {r["match_key"] for r in truth if r["cause"] == "amount_variance"}
    for key in keys:
        members = {r["source_system"]: r for r in truth if r["match_key"] == key}
        b, e = bank[members["bank"]["source_ref"]], erp[members["erp"]["source_ref"]]
        sub = members["bank"]["sub_cause"]
        subs[sub] += 1
        assert b["e2e"] == e["reference"]
        if sub == "bank_fee":
            assert D(b["charges"]) == D(e["amount"]) - b["amount"]
        elif sub == "fx_difference":
            assert b["instructed"] and e["currency"] == e["local_currency"]
            assert D("0.02") < abs(b["amount"] / D(e["amount"]) - 1) < D("0.03")
        else:
            assert b["amount"] != D(e["amount"])
    assert set(subs) == {"bank_fee", "fx_difference", "partial_payment", "overpayment", "other"}


def test_lone_records_are_timing_inside_the_window_and_missing_outside(sim, truth, bank, erp):
    windows = {"bank_to_ledger": 5, "billing_to_ledger": 7, "procure_to_pay": 30,
               "intercompany": 10}
    created = {o["id"]: dt.datetime.fromtimestamp(o["created"], dt.UTC).date()
               for k in ("charges", "refunds") for o in stripe_objects(sim[0], k)}
    invoiced = {str(o["id"]): dt.date.fromisoformat(o["invoice_date"])
                for o in coupa(sim[0], "invoices")}
    seen = Counter()
    for r in truth:
        if r["cause"] not in ("timing_difference", "missing_counterpart") or r["match_key"] and \
                r["source_system"] != "procurement":
            continue
        ref, system = r["source_ref"], r["source_system"]
        when = (bank[ref]["booking"] if system == "bank"
                else dt.date.fromisoformat(erp[ref]["posting_date"]) if system == "erp"
                else created[ref] if system == "billing" else invoiced.get(ref))
        if when is None:   # a PO or receipt: dated by its invoice, checked through it
            continue
        inside = (AS_OF - when).days <= windows[r["workflow"]]
        assert r["cause"] == ("timing_difference" if inside else "missing_counterpart"), r
        seen[(r["workflow"], r["cause"])] += 1
    assert len(seen) == 8, seen


def test_matches_cross_months_value_dates_and_weekends(truth, bank, erp):
    groups = defaultdict(dict)
    for r in truth:
        if r["workflow"] == "bank_to_ledger" and r["expected"] == "match":
            groups[r["match_key"]][r["source_system"]] = r["source_ref"]
    cutoff = weekend = 0
    for g in groups.values():
        if set(g) != {"bank", "erp"}:
            continue
        b, e = bank[g["bank"]], erp[g["erp"]]
        cutoff += b["booking"].month != int(e["posting_date"][5:7])
        weekend += dt.date.fromisoformat(e["document_date"]).weekday() >= 5
    assert cutoff > 0 and weekend > 0
    assert sum(r["value"] != r["booking"] for r in bank.values()) > 0.05 * len(bank)


def test_stripe_pages_say_when_more_follow(tmp_path):
    from jobs.simulate.writers.stripe import StripeList

    pages = StripeList(tmp_path, "XX01", "charges", page_size=3)
    for n in range(7):
        pages.add(json.dumps({"id": f"ch_{n}"}))
    pages.close()
    got = [json.loads((tmp_path / name.split("/")[1]).read_text()) for name in sorted(pages.files)]
    assert [p["has_more"] for p in got] == [True, True, False]
    assert [len(p["data"]) for p in got] == [3, 3, 1]
