"""ISO 20022 camt.053 statements (.001.08 and .001.02), written from string templates.

One file per account and ISO week, one ``<Stmt>`` per business day. The two versions differ
where real banks' files differ: ``Sts`` (``<Cd>BOOK</Cd>`` vs ``BOOK``), parties (``Pty``
wrapper in .08), the BIC element, the net total, and where a detail's amount sits (``TxDtls/Amt``
in .08, ``AmtDtls/TxAmt`` in .02).
"""

from __future__ import annotations

import datetime as dt
import functools

from jobs.simulate.calendar import ISO
from jobs.simulate.money import fmt
from jobs.simulate.writers.statement import BankLine, StatementWriter

_DOC_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{ver}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>{msgid}</MsgId>
      <CreDtTm>{created}</CreDtTm>
      <MsgPgntn><PgNb>1</PgNb><LastPgInd>true</LastPgInd></MsgPgntn>
    </GrpHdr>
"""
_DOC_TAIL = "  </BkToCstmrStmt>\n</Document>\n"
_STMT = """    <Stmt>
      <Id>{sid}</Id>
      <ElctrncSeqNb>{seq}</ElctrncSeqNb>
      <LglSeqNb>{seq}</LglSeqNb>
      <CreDtTm>{d}T20:00:00{off}</CreDtTm>
      <FrToDt><FrDtTm>{d}T00:00:00{off}</FrDtTm><ToDtTm>{d}T23:59:59{off}</ToDtTm></FrToDt>
      <Acct>
        <Id>{acct}</Id>
        <Ccy>{ccy}</Ccy>
        <Ownr><Nm>{owner}</Nm></Ownr>
        <Svcr><FinInstnId><{bic_tag}>{bic}</{bic_tag}><Nm>{bank}</Nm></FinInstnId></Svcr>
      </Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{open_amt}</Amt><CdtDbtInd>{open_cd}</CdtDbtInd><Dt><Dt>{d}</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{close_amt}</Amt><CdtDbtInd>{close_cd}</CdtDbtInd><Dt><Dt>{d}</Dt></Dt></Bal>
      <TxsSummry>
        <TtlNtries><NbOfNtries>{n}</NbOfNtries><Sum>{sum}</Sum>{net}</TtlNtries>
        <TtlCdtNtries><NbOfNtries>{n_cr}</NbOfNtries><Sum>{sum_cr}</Sum></TtlCdtNtries>
        <TtlDbtNtries><NbOfNtries>{n_dr}</NbOfNtries><Sum>{sum_dr}</Sum></TtlDbtNtries>
      </TxsSummry>
"""
_NET = {"08": "<TtlNetNtry><Amt>{amt}</Amt><CdtDbtInd>{cd}</CdtDbtInd></TtlNetNtry>",
        "02": "<TtlNetNtryAmt>{amt}</TtlNetNtryAmt><CdtDbtInd>{cd}</CdtDbtInd>"}
_STRD = ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{}</Ref>"
         "</CdtrRefInf></Strd>")
_CHRGS = {
    "08": '        <Chrgs><TtlChrgsAndTaxAmt Ccy="{c}">{a}</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy="{c}">'
          '{a}</Amt><CdtDbtInd>DBIT</CdtDbtInd><ChrgInclInd>true</ChrgInclInd><Tp><Cd>COMM</Cd>'
          '</Tp></Rcrd></Chrgs>\n',
    "02": '        <Chrgs><TtlChrgsAndTaxAmt Ccy="{c}">{a}</TtlChrgsAndTaxAmt><Amt Ccy="{c}">{a}'
          '</Amt><CdtDbtInd>DBIT</CdtDbtInd><Tp><Cd>COMM</Cd></Tp></Chrgs>\n',
}
_INSTD = ('<AmtDtls><InstdAmt><Amt Ccy="{ic}">{ia}</Amt><CcyXchg><SrcCcy>{ic}</SrcCcy>'
          '<TrgtCcy>{c}</TrgtCcy><XchgRate>{rate}</XchgRate></CcyXchg></InstdAmt>'
          '<TxAmt><Amt Ccy="{c}">{a}</Amt></TxAmt></AmtDtls>')


@functools.lru_cache(maxsize=65536)
def _acct_id(account: str) -> str:
    """IBANs start with two letters; anything else is an ``Othr/Id``."""
    if account[:2].isalpha():
        return f"<IBAN>{account}</IBAN>"
    return f"<Othr><Id>{account}</Id></Othr>"


class CamtWriter(StatementWriter):
    suffix = ".xml"

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.ver = self.acct.fmt[-2:]
        self.ccy = self.acct.currency
        self.sts = "<Cd>BOOK</Cd>" if self.ver == "08" else "BOOK"
        self.pty = ("<Pty>", "</Pty>") if self.ver == "08" else ("", "")
        self.acct_xml = _acct_id(self.acct.account)
        self.last_open: dict[str, dt.date] = {}
        for d in self.open_days:
            self.last_open[self.file_key(d)] = d

    def file_key(self, day: dt.date) -> str:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"

    def header(self, key: str, day: dt.date) -> str:
        last = self.last_open[key]
        return _DOC_HEAD.format(ver=self.acct.fmt, msgid=f"{self.acct.key}-{key}",
                                created=f"{last}T21:00:00{self.offsets[last]}")

    def footer(self) -> str:
        return _DOC_TAIL

    def statement(self, day, seq, opening, closing, lines) -> str:
        dec, a = self.dec, self.acct
        credits = [ln.amount for ln in lines if ln.amount >= 0]
        debits = [-ln.amount for ln in lines if ln.amount < 0]
        net = sum(credits) - sum(debits)
        head = _STMT.format(
            sid=f"{a.key}-{day:%Y%m%d}", seq=seq, d=day, off=self.offsets[day], acct=self.acct_xml,
            ccy=self.ccy, owner=self.owner, bic_tag="BICFI" if self.ver == "08" else "BIC",
            bic=a.bic, bank=a.bank, open_amt=fmt(abs(opening), dec),
            open_cd="CRDT" if opening >= 0 else "DBIT", close_amt=fmt(abs(closing), dec),
            close_cd="CRDT" if closing >= 0 else "DBIT", n=len(lines),
            sum=fmt(sum(credits) + sum(debits), dec),
            net=_NET[self.ver].format(amt=fmt(abs(net), dec), cd="CRDT" if net >= 0 else "DBIT"),
            n_cr=len(credits), sum_cr=fmt(sum(credits), dec), n_dr=len(debits),
            sum_dr=fmt(sum(debits), dec))
        return head + "".join(self._entry(ln) for ln in lines) + "    </Stmt>\n"

    def _entry(self, ln: BankLine) -> str:
        dec, ccy = self.dec, self.ccy
        cd = "CRDT" if ln.amount >= 0 else "DBIT"
        role = "Dbtr" if ln.amount >= 0 else "Cdtr"
        amt = fmt(-ln.amount if ln.amount < 0 else ln.amount, dec)
        if ln.details:
            btch = (f'          <Btch><NbOfTxs>{len(ln.details)}</NbOfTxs><TtlAmt Ccy="{ccy}">'
                    f"{amt}</TtlAmt><CdtDbtInd>{cd}</CdtDbtInd></Btch>\n")
            details = "".join(self._tx(a, e2e, name, acct, text, "", role, None)
                              for a, e2e, name, acct, text in ln.details)
        else:
            btch = ""
            # by choice: the detail carries the booked (net) amount; charges show only in Chrgs
            details = self._tx(ln.amount, ln.e2e, ln.name, ln.account, ln.text, ln.sref, role,
                               ln.instructed)
        chrgs = _CHRGS[self.ver].format(c=ccy, a=fmt(ln.charges, dec)) if ln.charges else ""
        return (f'      <Ntry>\n        <Amt Ccy="{ccy}">{amt}</Amt>\n'
                f"        <CdtDbtInd>{cd}</CdtDbtInd>\n        <Sts>{self.sts}</Sts>\n"
                f"        <BookgDt><Dt>{ISO[ln.booking]}</Dt></BookgDt>\n"
                f"        <ValDt><Dt>{ISO[ln.value]}</Dt></ValDt>\n"
                f"        <AcctSvcrRef>{ln.ref}</AcctSvcrRef>\n"
                f"        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{ln.family}</Cd><SubFmlyCd>ESCT"
                f"</SubFmlyCd></Fmly></Domn></BkTxCd>\n{chrgs}        <NtryDtls>\n"
                f"{btch}{details}        </NtryDtls>\n      </Ntry>\n")

    def _tx(self, amount, e2e, name, acct, text, sref, role, instructed) -> str:
        dec, ccy = self.dec, self.ccy
        a = fmt(-amount if amount < 0 else amount, dec)
        dtls = ""
        if instructed:
            ic, ia, idec, rate = instructed
            dtls = _INSTD.format(ic=ic, ia=fmt(ia, idec), c=ccy, a=a, rate=rate)
        elif self.ver == "02":
            dtls = f'<AmtDtls><TxAmt><Amt Ccy="{ccy}">{a}</Amt></TxAmt></AmtDtls>'
        if self.ver == "08":
            cd = "CRDT" if amount >= 0 else "DBIT"
            amount_xml = f'<Amt Ccy="{ccy}">{a}</Amt><CdtDbtInd>{cd}</CdtDbtInd>{dtls}'
        else:
            amount_xml = dtls
        p0, p1 = self.pty
        strd = _STRD.format(sref) if sref else ""
        return (f"          <TxDtls>\n            <Refs><EndToEndId>{e2e}</EndToEndId></Refs>\n"
                f"            {amount_xml}\n"
                f"            <RltdPties><{role}>{p0}<Nm>{name}</Nm>{p1}</{role}><{role}Acct><Id>"
                f"{_acct_id(acct)}</Id></{role}Acct></RltdPties>\n"
                f"            <RmtInf><Ustrd>{text}</Ustrd>{strd}</RmtInf>\n          </TxDtls>\n")
