"""One camt ``Ntry`` read into plain text fields, whatever the message version (.02 to .08).

Reading is a single pass over each element's children with a table of field readers keyed by
tag (:class:`~connectors.bank.camt_xml.ByTag`), because a path lookup per field would cost
more than parsing the XML itself. A table value is the field a leaf's text goes to (``str``),
a code field (``(key,)``), a nested table, or a reader function; :func:`read_fields` handles
the first three inline, as they are most of every entry. Values stay text here (they become the row's ``raw``);
:mod:`connectors.bank.camt_rows` turns them into typed rows.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element

from connectors.bank.camt_xml import NAMES, ByTag, local
from connectors.bank.values import BadValue, parse_amount

#: Longest text accepted in any field read: ISO 20022 allows at most 500 characters anywhere
#: in an entry, so anything near this limit is garbage or an attack.
TEXT_LIMIT = 10_000

Fields = dict[str, Any]
Reader = Callable[[Fields, Element], None]


def _too_long(element: Element, value: str) -> BadValue:
    return BadValue(f"{local(element.tag)} holds {len(value)} characters (limit {TEXT_LIMIT})")


def text(element: Element) -> str | None:
    """Stripped text of an element, None when empty; refuses absurdly long text."""
    value = element.text
    if value is None:
        return None
    value = value.strip()
    if len(value) > TEXT_LIMIT:
        raise _too_long(element, value)
    return value or None


def child(element: Element | None, name: str) -> Element | None:
    """First child with this local name."""
    if element is not None:
        for candidate in element:
            if NAMES[candidate.tag] == name:
                return candidate
    return None


def children(element: Element | None) -> dict[str, Element]:
    """The first child of each local name, in one pass."""
    found: dict[str, Element] = {}
    if element is not None:
        for candidate in element:
            found.setdefault(NAMES[candidate.tag], candidate)
    return found


def path_text(element: Element | None, first: str, second: str | None = None) -> str | None:
    """Text at a path of one or two local names below ``element``."""
    element = child(element, first)
    if second is not None:
        element = child(element, second)
    return None if element is None else text(element)


def _text_of(element: Element | None) -> str | None:
    return None if element is None else text(element)


def code_text(element: Element) -> str | None:
    """A code given as plain text (``<Sts>BOOK</Sts>``, .02) or in a child (``<Cd>``, .08);
    also a date given as ``<Dt>`` or ``<DtTm>``."""
    value = text(element)
    if value is None and len(element):
        value = text(element[0])
    return value


def read_fields(table: ByTag, element: Element, fields: Fields) -> Fields:
    """Apply the table's reader to each child of ``element`` that has one.

    ``text`` and ``code_text`` are inlined for the two kinds of leaf, a ``str`` key and a
    ``(key,)`` code key (see :func:`code_text`): they are most of the fields of every entry.
    """
    for part in element:
        how = table[part.tag]
        if how is None:
            continue
        kind = how.__class__
        if kind is str or kind is tuple:
            value = part.text
            if value is not None:
                value = value.strip()
                if len(value) > TEXT_LIMIT:
                    raise _too_long(part, value)
            if not value:
                value = None
                if kind is tuple and len(part):  # .08 style: <Sts><Cd>BOOK</Cd></Sts>
                    value = part[0].text
                    if value is not None:
                        value = value.strip()
                        if len(value) > TEXT_LIMIT:
                            raise _too_long(part[0], value)
                        value = value or None
            fields[how if kind is str else how[0]] = value
        elif kind is ByTag:  # a group whose children are fields of the same record
            read_fields(how, part, fields)
        else:
            how(fields, part)
    return fields


def _amount(prefix: str = "") -> Reader:
    amount_key, currency_key = prefix + "amount", prefix + "currency"

    def put(fields: Fields, element: Element) -> None:
        fields[amount_key] = text(element)
        fields[currency_key] = element.get("Ccy")
    return put


def _bank_tx_code(fields: Fields, element: Element) -> None:
    """``Domain/Family/SubFamily`` (``PMNT/RCDT/ESCT``); the proprietary code kept beside it."""
    if len(element) == 1:  # the usual shape, read by position: Domn(Cd, Fmly(Cd, SubFmlyCd))
        domain = element[0]
        if len(domain) == 2 and NAMES[domain.tag] == "Domn":
            code, family = domain
            if len(family) == 2 and NAMES[code.tag] == "Cd" and NAMES[family.tag] == "Fmly":
                family_code, sub = family
                if NAMES[family_code.tag] == "Cd" and NAMES[sub.tag] == "SubFmlyCd":
                    codes = []
                    for part in (code, family_code, sub):  # ``text`` inlined
                        value = part.text
                        if value:
                            value = value.strip()
                            if len(value) > TEXT_LIMIT:
                                raise _too_long(part, value)
                            if value:
                                codes.append(value)
                    fields["bank_tx_code"] = "/".join(codes) or None
                    return
    parts = children(element)
    domain = parts.get("Domn")
    if domain is not None:
        of_domain = children(domain)
        of_family = children(of_domain.get("Fmly"))
        codes = (_text_of(of_domain.get("Cd")), _text_of(of_family.get("Cd")),
                 _text_of(of_family.get("SubFmlyCd")))
        fields["bank_tx_code"] = "/".join(p for p in codes if p) or None
    proprietary = path_text(parts.get("Prtry"), "Cd")
    if proprietary:
        fields["bank_tx_code_proprietary"] = proprietary


def _charges(fields: Fields, element: Element) -> None:
    """Total charges: ``TtlChrgsAndTaxAmt`` when given, else the sum of the charge records.

    camt .02 repeats ``Chrgs`` (one charge each); later versions hold ``Rcrd`` children.
    A charge marked CRDT is a refund and counts negative.
    """
    total = Decimal(fields.get("charges") or 0)
    stated = path_text(element, "TtlChrgsAndTaxAmt")
    if stated is not None:
        total += parse_amount(stated, "TtlChrgsAndTaxAmt")
    else:
        for record in [element, *(c for c in element if local(c.tag) == "Rcrd")]:
            value = path_text(record, "Amt")
            if value is not None:
                sign = -1 if path_text(record, "CdtDbtInd") == "CRDT" else 1
                total += sign * parse_amount(value, "charge Amt")
    fields["charges"] = f"{total:f}"


def _amount_details(fields: Fields, element: Element) -> None:
    for part in element:
        name = local(part.tag)
        if name not in ("InstdAmt", "TxAmt"):
            continue
        amount = child(part, "Amt")
        if amount is not None:
            (_INSTRUCTED if name == "InstdAmt" else _TX)(fields, amount)
        rate = path_text(child(part, "CcyXchg"), "XchgRate")
        if rate is not None and "exchange_rate" not in fields:
            fields["exchange_rate"] = rate


_INSTRUCTED, _TX = _amount("instructed_"), _amount("tx_")


def _party(key: str) -> Reader:
    """Name of a party: ``Nm``, ``Pty/Nm`` (.08), or the agent's name or BIC."""
    def put(fields: Fields, element: Element) -> None:
        if len(element) == 1:  # the usual shapes: Nm, or Pty whose first child is Nm
            only = element[0]
            name = NAMES[only.tag]
            if name == "Pty" and len(only) and NAMES[only[0].tag] == "Nm":
                only, name = only[0], "Nm"
            if name == "Nm":
                value = text(only)
                if value is not None:
                    fields[key] = value
                    return
        parts = children(element)
        name = _text_of(parts.get("Nm")) or path_text(parts.get("Pty"), "Nm")
        if name is None:
            agent = children(child(parts.get("Agt"), "FinInstnId"))
            name = (_text_of(agent.get("Nm")) or _text_of(agent.get("BICFI"))
                    or _text_of(agent.get("BIC")))
        fields[key] = name
    return put


def _account(key: str) -> Reader:
    """An account as ``Id/IBAN`` or ``Id/Othr/Id``."""
    def put(fields: Fields, element: Element) -> None:
        if len(element) == 1:  # the usual shapes: Id(IBAN) and Id(Othr(Id, ...))
            ident = element[0]
            if len(ident) == 1 and NAMES[ident.tag] == "Id":
                leaf: Element | None = ident[0]
                name = NAMES[leaf.tag]
                if name == "Othr" and len(leaf) and NAMES[leaf[0].tag] == "Id":
                    leaf = leaf[0]
                elif name != "IBAN":
                    leaf = None
                if leaf is not None:  # the only id there is, as the general case reads it
                    fields[key] = text(leaf)
                    return
        ident = children(child(element, "Id"))
        fields[key] = _text_of(ident.get("IBAN")) or path_text(ident.get("Othr"), "Id")
    return put


def _ustrd(fields: Fields, element: Element) -> None:
    lines = fields.get("remittance")
    if lines is None:
        lines = fields["remittance"] = []
    lines.append(text(element) or "")


def _strd(fields: Fields, element: Element) -> None:
    reference = path_text(child(element, "CdtrRefInf"), "Ref")
    if reference and "creditor_reference" not in fields:
        fields["creditor_reference"] = reference
    for part in element:
        name = local(part.tag)
        if name == "RfrdDocInf" and (number := path_text(part, "Nb")):
            fields.setdefault("referred_documents", []).append(number)
        elif name == "AddtlRmtInf":
            fields.setdefault("additional_remittance", []).append(text(part) or "")


def _return_info(fields: Fields, element: Element) -> None:
    reason = child(element, "Rsn")
    fields["return_reason"] = path_text(reason, "Cd") or path_text(reason, "Prtry")


_REFS = ByTag({
    "AcctSvcrRef": "acct_svcr_ref", "EndToEndId": "end_to_end_id", "InstrId": "instr_id",
    "TxId": "tx_id", "MsgId": "msg_id", "PmtInfId": "pmt_inf_id", "MndtId": "mandate_id",
    "ChqNb": "cheque_number", "UETR": "uetr", "ClrSysRef": "clearing_ref"})

_PARTIES = ByTag({
    "Dbtr": _party("debtor_name"), "Cdtr": _party("creditor_name"),
    "UltmtDbtr": _party("ultimate_debtor"), "UltmtCdtr": _party("ultimate_creditor"),
    "DbtrAcct": _account("debtor_account"), "CdtrAcct": _account("creditor_account"),
})

_REMITTANCE = ByTag({"Ustrd": _ustrd, "Strd": _strd})

_DETAIL = ByTag({
    "Refs": _REFS, "Amt": _amount(), "CdtDbtInd": "cdt_dbt",
    "AmtDtls": _amount_details, "BkTxCd": _bank_tx_code, "Chrgs": _charges,
    "RltdPties": _PARTIES, "RmtInf": _REMITTANCE,
    "AddtlTxInf": "additional_info", "RtrInf": _return_info,
})


def _batch(fields: Fields, element: Element) -> None:
    fields["batch"] = {"msg_id": path_text(element, "MsgId"),
                       "pmt_inf_id": path_text(element, "PmtInfId"),
                       "nb_of_txs": path_text(element, "NbOfTxs"),
                       "total": path_text(element, "TtlAmt")}


def _details(fields: Fields, element: Element) -> None:
    details = fields.get("_details")
    if details is None:
        details = fields["_details"] = []
    for item in element:
        name = NAMES[item.tag]
        if name == "TxDtls":
            details.append(read_fields(_DETAIL, item, {}))
        elif name == "Btch":
            _batch(fields, item)


_ENTRY = ByTag({
    "NtryRef": "entry_ref", "Amt": _amount(), "CdtDbtInd": "cdt_dbt",
    "RvslInd": "reversal", "Sts": ("status",),
    "BookgDt": ("booking_date",), "ValDt": ("value_date",),
    "AcctSvcrRef": "acct_svcr_ref", "BkTxCd": _bank_tx_code, "Chrgs": _charges,
    "AmtDtls": _amount_details, "NtryDtls": _details, "AddtlNtryInf": "additional_info",
})

_NO_DETAILS: list[Fields] = []


def read_entry(element: Element) -> tuple[Fields, list[Fields]]:
    """The entry's own fields and the fields of each of its ``TxDtls``, in document order."""
    fields = read_fields(_ENTRY, element, {})
    details = fields.pop("_details", None)
    return fields, _NO_DETAILS if details is None else details
