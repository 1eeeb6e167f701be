"""ERP general-ledger line items as CSV (SPEC §3 columns), one file per company code.

Documents are written whole, so each balances (sum of ``amount_local`` = 0) unless a scenario
plants a defect. Document numbers come from SAP-like number ranges per document type.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jobs.simulate.calendar import CLOCK, ISO
from jobs.simulate.money import fmt

COLUMNS = ("company_code,fiscal_year,document_number,line_item,document_type,posting_date,"
           "document_date,entry_timestamp,gl_account,account_type,customer,vendor,amount,"
           "currency,amount_local,local_currency,reference,assignment,text,clearing_document,"
           "clearing_date,trading_partner,purchase_order")
RANGES = {"DZ": 1_400_000_000, "KZ": 1_500_000_000, "DG": 1_600_000_000, "SA": 100_000_000,
          "RE": 5_100_000_000, "ZP": 1_800_000_000}
IC_RANGE = 1_900_000_000

# Field positions of a line tuple (see ``line``).
GL, TYPE, AMOUNT, REF, ASSIGN, TEXT, CUST, VEND, TP, PO, CCY = range(11)


def line(gl: str, atype: str, amount: int | None, ref: str = "", assign: str = "", text: str = "",
         cust: str = "", vend: str = "", tp: str = "", po: str = "") -> list:
    """One line item in the company's currency: signed minor units (debit +, credit −)."""
    return [gl, atype, amount, ref, assign, text, cust, vend, tp, po, ""]


class ErpWriter:
    """Streams documents to ``erp/line_items_<company>.csv``."""

    def __init__(self, folder: Path, entities: dict, offsets: dict[str, dict[dt.date, str]]):
        self.entities, self.offsets = entities, offsets
        self.files: dict[str, int] = {}
        self._fh: dict[str, object] = {}
        self._write = {}
        self._next: dict[tuple[str, str], int] = {}
        for code in entities:
            fh = (folder / f"line_items_{code}.csv").open("w", encoding="utf-8", newline="",
                                                           buffering=1 << 20)
            fh.write(COLUMNS + "\n")
            self._fh[code] = fh
            self._write[code] = fh.write
            self.files[f"erp/line_items_{code}.csv"] = 0

    def number(self, cc: str, doc_type: str) -> str:
        n = self._next.get((cc, doc_type), 0) + 1
        self._next[(cc, doc_type)] = n
        return str(RANGES[doc_type] + n)

    def post(self, cc: str, doc_type: str, posting: dt.date, doc_date: dt.date, lines: list,
             minute: int, docno: str = "", posting_text: str = "") -> list[str]:
        """Write one document; returns the SPEC §10 source_ref of each line.

        ``posting_text`` overrides the written posting date (a planted impossible date); the
        fiscal year and entry timestamp keep the real posting date, as a typo would.
        """
        lccy = self.entities[cc].currency
        ldec = 0 if lccy == "JPY" else 2
        docno = docno or self.number(cc, doc_type)
        fy = posting.year
        p = ISO[posting]
        head = f"{cc},{fy},{docno},"
        mid = (f",{doc_type},{posting_text or p},{ISO[doc_date]},{p}T{CLOCK[minute]}"
               f"{self.offsets[cc][posting]},")
        out, refs = [], []
        for i, ln in enumerate(lines, 1):
            amt = ln[AMOUNT]
            ccy = ln[CCY] or lccy   # only a planted defect writes another currency code
            a = al = "" if amt is None else fmt(amt, ldec)
            out.append(f"{head}{i}{mid}{ln[GL]},{ln[TYPE]},{ln[CUST]},{ln[VEND]},{a},{ccy},{al},"
                       f"{lccy},{ln[REF]},{ln[ASSIGN]},{ln[TEXT]},,,{ln[TP]},{ln[PO]}\n")
            refs.append(f"{cc}/{fy}/{docno}/{i}")
        self._write[cc]("".join(out))
        self.files[f"erp/line_items_{cc}.csv"] += len(lines)
        return refs

    def post_pair(self, cc: str, doc_type: str, posting: dt.date, doc_date: dt.date, minute: int,
                  gl: str, amount: int, ref: str, assign: str, text: str, offset_gl: str,
                  offset_text: str) -> str:
        """The common two-line document (a ledger line and its offset, both ``S``, local
        currency), written without building line lists; returns the first line's ref."""
        lccy = self.entities[cc].currency
        a = fmt(amount, 0 if lccy == "JPY" else 2)
        neg = a[1:] if a[0] == "-" else f"-{a}"
        docno = self.number(cc, doc_type)
        p = ISO[posting]
        head = (f"{cc},{posting.year},{docno},")
        mid = (f",{doc_type},{p},{ISO[doc_date]},{p}T{CLOCK[minute]}{self.offsets[cc][posting]},")
        self._write[cc](f"{head}1{mid}{gl},S,,,{a},{lccy},{a},{lccy},{ref},{assign},{text},,,,\n"
                        f"{head}2{mid}{offset_gl},S,,,{neg},{lccy},{neg},{lccy},,,{offset_text},,,,\n")
        self.files[f"erp/line_items_{cc}.csv"] += 2
        return f"{cc}/{posting.year}/{docno}/1"

    def close(self) -> None:
        for fh in self._fh.values():
            fh.close()
