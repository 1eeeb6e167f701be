"""SWIFT MT940 statements: one file per account and month, CRLF, lines of at most 65 characters.

Two remittance styles, as German and Dutch/British banks write them: ``?20``..``?29``
sub-fields (German DFUe: ``EREF+``, ``SVWZ+``, ``?32`` name) or ``/EREF/../REMI/USTD//..`` tags.
"""

from __future__ import annotations

import datetime as dt
import functools

from jobs.simulate.calendar import YYMMDD
from jobs.simulate.money import fmt
from jobs.simulate.parties import ascii_text, ascii_upper
from jobs.simulate.writers.statement import BankLine, StatementWriter

CRLF = "\r\n"
_BICS = ("GENODEF1S04", "COLSDE33XXX", "DEUTDEDBXXX", "HYVEDEMMXXX", "BYLADEM1001",
         "NWBKGB2LXXX", "BARCGB22XXX", "LOYDGB2LXXX", "HBUKGB4BXXX", "MIDLGB22XXX")


def chunks(text: str, width: int) -> list[str]:
    """Split at spaces where possible, so a reference is never cut in two; the space stays at
    the start of the next sub-field, so joining sub-fields with or without a blank keeps words
    apart."""
    out, line = [], ""
    for word in text.split(" "):
        cand = f"{line} {word}" if line else word
        if len(cand) <= width:
            line = cand
            continue
        if line:
            out.append(line)
        line = f" {word}" if out or line else word
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
    if line:
        out.append(line)
    return out


def wrap86(content: str) -> str:
    """The :86: field over lines of 65 characters; no continuation line starts with ':' or '-',
    which a reader would take for a new tag or the end of the statement."""
    lines, rest, width = [], content, 61
    while rest:
        cut = min(width, len(rest))
        while cut < len(rest) and cut > 1 and rest[cut] in ":-":
            cut -= 1
        lines.append(rest[:cut])
        rest, width = rest[cut:], 65
    return ":86:" + CRLF.join(lines) + CRLF


@functools.lru_cache(maxsize=65536)
def _party(name: str, account: str) -> tuple[str, str]:
    """(SWIFT spelling of the name, a BIC for the account): counterparties recur."""
    return ascii_upper(name), _BICS[int(account[-2:]) % 5 + (5 if account.startswith("GB") else 0)]


class Mt940Writer(StatementWriter):
    suffix = ".sta"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.structured = self.acct.fmt == "mt940-structured"
        self._prev: dt.date | None = None

    def file_key(self, day: dt.date) -> str:
        return f"{day:%Y-%m}"

    def statement(self, day, seq, opening, closing, lines) -> str:
        dec, ccy = self.dec, self.acct.currency
        prev = self._prev or day
        self._prev = day
        out = [f":20:{self.acct.ref_prefix}S{day:%y%m%d}{CRLF}",
               f":25:{self.acct.account}{CRLF}",
               f":28C:{seq:05d}/001{CRLF}",
               f":60F:{'C' if opening >= 0 else 'D'}{prev:%y%m%d}{ccy}{fmt(abs(opening), dec, ',')}{CRLF}"]
        for ln in lines:
            out.append(self._entry(ln))
        out.append(f":62F:{'C' if closing >= 0 else 'D'}{day:%y%m%d}{ccy}"
                   f"{fmt(abs(closing), dec, ',')}{CRLF}-{CRLF}")
        return "".join(out)

    def _entry(self, ln: BankLine) -> str:
        cd = "C" if ln.amount >= 0 else "D"
        own = ln.e2e if ln.e2e and ln.e2e != "NOTPROVIDED" else "NONREF"
        line61 = (f":61:{YYMMDD[ln.value]}{YYMMDD[ln.booking][2:]}{cd}"
                  f"{fmt(abs(ln.amount), self.dec, ',')}"
                  f"NTRF{own}//{ln.ref}{CRLF}")
        name, bic = _party(ln.name, ln.account)
        e2e, text = ln.e2e or "NOTPROVIDED", ascii_text(ln.text)
        if self.structured:
            gvc, what = ("166", "SEPA-GUTSCHRIFT") if ln.amount >= 0 else ("177", "SEPA-UEBERWEISUNG")
            subs = [f"EREF+{e2e}", *chunks(f"SVWZ+{text}", 27)][:10]
            body = f"{gvc}?00{what}?10{ln.ref[-4:]}" + "".join(
                f"?{20 + i}{s}" for i, s in enumerate(subs))
            body += f"?30{bic}?31{ln.account}?32{name[:27]}" + (f"?33{name[27:54]}" if len(name) > 27 else "")
        else:
            body = f"/EREF/{e2e}//CNTP/{ln.account}/{bic}/{name}/LONDON/REMI/USTD//{text}/"
        return line61 + wrap86(body)
