"""One camt ``Ntry`` read into plain text fields, whatever the message version (.02 to .08).

Reading is a single pass over each element's children with a table of field readers keyed by
tag (:class:`~connectors.bank.camt_xml.ByTag`), because a path lookup per field would cost
more than parsing the XML itself. Values stay text here (they become the row's ``raw``);
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


def text(element: Element) -> str | None:
    """Stripped text of an element, None when empty; refuses absurdly long text."""
    value = element.text
    if value is None:
        return None
    if len(value) > TEXT_LIMIT:
        raise BadValue(f"{local(element.tag)} holds {len(value)} characters "
                       f"(limit {TEXT_LIMIT})")
    return value.strip() or None


def child(element: Element | None, name: str) -> Element | None:
    """First child with this local name."""
    if element is not None:
        for candidate in element:
            if NAMES[candidate.tag] == name:
                return candidate
    return None


def path_text(element: Element | None, first: str, second: str | None = None) -> str | None:
    """Text at a path of one or two local names below ``element``."""
    element = child(element, first)
    if second is not None:
        element = child(element, second)
    return None if element is None else text(element)


def code_text(element: Element) -> str | None:
    """A code given as plain text (``<Sts>BOOK</Sts>``, .02) or in a child (``<Cd>``, .08);
    also a date given as ``<Dt>`` or ``<DtTm>``."""
    value = text(element)
    if value is None and len(element):
        value = text(element[0])
    return value


def read_fields(table: ByTag, element: Element, fields: Fields) -> Fields:
    """Apply the table's reader to each child of ``element`` that has one."""
    for part in element:
        reader = table[part.tag]
        if reader is not None:
            reader(fields, part)
    return fields


def _put(key: str) -> Reader:
    def put(fields: Fields, element: Element) -> None:
        fields[key] = text(element)
    return put


def _put_code(key: str) -> Reader:
    def put(fields: Fields, element: Element) -> None:
        fields[key] = code_text(element)
    return put


def _amount(prefix: str = "") -> Reader:
    def put(fields: Fields, element: Element) -> None:
        fields[prefix + "amount"] = text(element)
        fields[prefix + "currency"] = element.get("Ccy")
    return put


def _nested(table: ByTag) -> Reader:
    def read(fields: Fields, element: Element) -> None:
        read_fields(table, element, fields)
    return read


def _bank_tx_code(fields: Fields, element: Element) -> None:
    """``Domain/Family/SubFamily`` (``PMNT/RCDT/ESCT``); the proprietary code kept beside it."""
    domain = child(element, "Domn")
    if domain is not None:
        family = child(domain, "Fmly")
        parts = (path_text(domain, "Cd"), path_text(family, "Cd"), path_text(family, "SubFmlyCd"))
        fields["bank_tx_code"] = "/".join(p for p in parts if p) or None
    proprietary = path_text(element, "Prtry", "Cd")
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
            _amount("instructed_" if name == "InstdAmt" else "tx_")(fields, amount)
        rate = path_text(part, "CcyXchg", "XchgRate")
        if rate is not None and "exchange_rate" not in fields:
            fields["exchange_rate"] = rate


def _party(key: str) -> Reader:
    """Name of a party: ``Nm``, ``Pty/Nm`` (.08), or the agent's name or BIC."""
    def put(fields: Fields, element: Element) -> None:
        name = path_text(element, "Nm") or path_text(element, "Pty", "Nm")
        if name is None:
            agent = child(child(element, "Agt"), "FinInstnId")
            name = path_text(agent, "Nm") or path_text(agent, "BICFI") or path_text(agent, "BIC")
        fields[key] = name
    return put


def _account(key: str) -> Reader:
    """An account as ``Id/IBAN`` or ``Id/Othr/Id``."""
    def put(fields: Fields, element: Element) -> None:
        ident = child(element, "Id")
        fields[key] = path_text(ident, "IBAN") or path_text(ident, "Othr", "Id")
    return put


def _ustrd(fields: Fields, element: Element) -> None:
    fields.setdefault("remittance", []).append(text(element) or "")


def _strd(fields: Fields, element: Element) -> None:
    reference = path_text(element, "CdtrRefInf", "Ref")
    if reference and "creditor_reference" not in fields:
        fields["creditor_reference"] = reference
    for part in element:
        name = local(part.tag)
        if name == "RfrdDocInf" and (number := path_text(part, "Nb")):
            fields.setdefault("referred_documents", []).append(number)
        elif name == "AddtlRmtInf":
            fields.setdefault("additional_remittance", []).append(text(part) or "")


def _return_info(fields: Fields, element: Element) -> None:
    fields["return_reason"] = (path_text(element, "Rsn", "Cd")
                               or path_text(element, "Rsn", "Prtry"))


_REFS = ByTag({name: _put(key) for name, key in {
    "AcctSvcrRef": "acct_svcr_ref", "EndToEndId": "end_to_end_id", "InstrId": "instr_id",
    "TxId": "tx_id", "MsgId": "msg_id", "PmtInfId": "pmt_inf_id", "MndtId": "mandate_id",
    "ChqNb": "cheque_number", "UETR": "uetr", "ClrSysRef": "clearing_ref"}.items()})

_PARTIES = ByTag({
    "Dbtr": _party("debtor_name"), "Cdtr": _party("creditor_name"),
    "UltmtDbtr": _party("ultimate_debtor"), "UltmtCdtr": _party("ultimate_creditor"),
    "DbtrAcct": _account("debtor_account"), "CdtrAcct": _account("creditor_account"),
})

_REMITTANCE = ByTag({"Ustrd": _ustrd, "Strd": _strd})

_DETAIL = ByTag({
    "Refs": _nested(_REFS), "Amt": _amount(), "CdtDbtInd": _put("cdt_dbt"),
    "AmtDtls": _amount_details, "BkTxCd": _bank_tx_code, "Chrgs": _charges,
    "RltdPties": _nested(_PARTIES), "RmtInf": _nested(_REMITTANCE),
    "AddtlTxInf": _put("additional_info"), "RtrInf": _return_info,
})


def _batch(fields: Fields, element: Element) -> None:
    fields["batch"] = {"msg_id": path_text(element, "MsgId"),
                       "pmt_inf_id": path_text(element, "PmtInfId"),
                       "nb_of_txs": path_text(element, "NbOfTxs"),
                       "total": path_text(element, "TtlAmt")}


def _details(fields: Fields, element: Element) -> None:
    details = fields.setdefault("_details", [])
    for item in element:
        name = local(item.tag)
        if name == "TxDtls":
            details.append(read_fields(_DETAIL, item, {}))
        elif name == "Btch":
            _batch(fields, item)


_ENTRY = ByTag({
    "NtryRef": _put("entry_ref"), "Amt": _amount(), "CdtDbtInd": _put("cdt_dbt"),
    "RvslInd": _put("reversal"), "Sts": _put_code("status"),
    "BookgDt": _put_code("booking_date"), "ValDt": _put_code("value_date"),
    "AcctSvcrRef": _put("acct_svcr_ref"), "BkTxCd": _bank_tx_code, "Chrgs": _charges,
    "AmtDtls": _amount_details, "NtryDtls": _details, "AddtlNtryInf": _put("additional_info"),
})


def read_entry(element: Element) -> tuple[Fields, list[Fields]]:
    """The entry's own fields and the fields of each of its ``TxDtls``, in document order."""
    fields = read_fields(_ENTRY, element, {})
    return fields, fields.pop("_details", [])
