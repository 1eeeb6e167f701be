"""The ``:86:`` information field of MT940, read in the three layouts banks use.

* German/Austrian "GVC" layout: ``166?00GUTSCHRIFT?20EREF+...?21SVWZ+...?32NAME``; purpose
  lines ``?20``-``?29`` and ``?60``-``?63`` hold one text cut into 27-character pieces, with
  SEPA keywords (``EREF+``, ``SVWZ+``...) inside. Other banks write the same sub-fields with
  another separator: Triodos ``>``, Polish banks ``~`` (``051~00PRZELEW~20FAKTURA...~32NAZWA
  ~38PL...``), ``<`` or ``^``; those without ``~32`` name the counterparty in ``~27``-``~29``.
* Dutch "slash code" layout: ``/TRTP/SEPA OVERBOEKING/IBAN/NL..../NAME/..../REMI/..../EREF/``.
* Free text.

Continuation lines are joined so that a reference split over two lines can be found: without
a separator where the layout is structured or the line is full (65 characters, a hard wrap),
with a space where the bank padded or ended the line itself.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

FULL_LINE = 65
_GVC = re.compile(r"^(\d{3})([?>~<^])(\d{2})")
_POLISH = "~<^"
_SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC",
              "COAM", "OAMT", "PURP", "SQTP", "ORCR", "ORMR", "DDAT", "MDAT")
_SEPA = re.compile(r"(" + "|".join(_SEPA_KEYS) + r") ?\+")
_SLASH_KEYS = ("TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "CSID", "MARF", "CNTP", "ORDP",
               "BENM", "ADDR", "ISDT", "PREF", "RTRN", "SVCL", "ULTC", "ULTD", "ULTB", "PURP",
               "RTYP", "KREF")
_SLASH = re.compile(r"/(" + "|".join(_SLASH_KEYS) + r")/")


def join_lines(lines: list[str], prefix_width: int = 4) -> str:
    """One text from the field's lines (the first without its ``:86:`` prefix)."""
    if not lines:
        return ""
    first = lines[0].strip()
    structured = bool(_GVC.match(first) or _SLASH.match(first))
    out = lines[0].rstrip()
    for i in range(1, len(lines)):
        previous = lines[i - 1]
        width = len(previous) + (prefix_width if i == 1 else 0)
        hard_wrap = width >= FULL_LINE and previous == previous.rstrip()
        out += lines[i].rstrip() if structured or hard_wrap else " " + lines[i].strip()
    return re.sub(r" {2,}", " ", out).strip()


def parse(text: str) -> dict[str, Any]:
    """The ``:86:`` text's parts: layout, remittance, end-to-end id, counterparty, codes."""
    if _GVC.match(text):
        return _gvc(text)
    if _SLASH.match(text.lstrip()) or len(_SLASH.findall(text)) >= 2:
        return _slash(text)
    return {"layout": "text", "remittance": text or None}


def _gvc(text: str) -> dict[str, Any]:
    code, separator = text[:3], text[3]
    parts: dict[str, list[str]] = {}
    for match in re.finditer(re.escape(separator) + r"(\d{2})([^" + re.escape(separator) + "]*)",
                             text[3:]):
        parts.setdefault(match.group(1), []).append(match.group(2))
    pieces = [p for n in [*range(20, 30), *range(60, 64)] for p in parts.get(str(n), [])]
    purpose = "".join(pieces)
    starts = {0, *accumulate(len(p) for p in pieces)}
    keyed = _sepa(purpose, starts)
    name = _field(parts, "32", "33")
    if name is None and separator in _POLISH:
        # Polish banks that write no ~32/~33 put the counterparty's name (and address) in
        # ~27-~29; they stay in the purpose too, so a reference written there is still found
        name = _field(parts, "27", "28", "29")
    return {
        "layout": "gvc", "gvc": code, "posting_text": _field(parts, "00"),
        "prima_nota": _field(parts, "10"), "purpose": purpose or None,
        "remittance": keyed.get("SVWZ") or (purpose.strip() if not keyed else None) or None,
        "end_to_end_id": keyed.get("EREF"), "mandate_id": keyed.get("MREF"),
        "creditor_id": keyed.get("CRED"), "customer_reference": keyed.get("KREF"),
        "counterparty_bic": _field(parts, "30"),
        # ?31 the account as the bank keeps it, ?38 the IBAN where the bank adds one
        "counterparty_account": _field(parts, "31") or _field(parts, "38"),
        "counterparty_name": re.sub(r" {2,}", " ", name) if name else None,
        "return_code": _field(parts, "34"),
    }


def _field(parts: dict[str, list[str]], *keys: str) -> str | None:
    """The text of the sub-fields ``keys``, each in its pieces, joined in that order."""
    value = "".join(piece for key in keys for piece in parts.get(key, [])).strip()
    return value or None


def _sepa(purpose: str, starts: set[int] = frozenset()) -> dict[str, str]:
    """SEPA keywords inside a purpose text (``EREF+x SVWZ+y``), each up to the next keyword.

    A keyword counts where no capital letter runs into it, or where a purpose line (``starts``, the
    offsets of ``?20``.. in the joined text) begins: ``?20EREF+NOTPROVIDED?21SVWZ+Invoice``
    joins to ``...NOTPROVIDEDSVWZ+...``, and SVWZ still starts the remittance there."""
    found = [m for m in _SEPA.finditer(purpose)
             if m.start() in starts or not (m.start() and "A" <= purpose[m.start() - 1] <= "Z")]
    keyed: dict[str, str] = {}
    for match, following in zip(found, found[1:] + [None], strict=False):
        end = following.start() if following else len(purpose)
        keyed.setdefault(match.group(1), purpose[match.end():end].strip())
    return keyed


def _slash(text: str) -> dict[str, Any]:
    found = list(_SLASH.finditer(text))
    values: dict[str, str] = {}
    for match, following in zip(found, found[1:] + [None], strict=False):
        end = following.start() if following else len(text)
        values.setdefault(match.group(1), text[match.end():end].strip().rstrip("/").strip())
    party = values.get("CNTP", "").split("/") if "CNTP" in values else []
    remittance, structured = _remi(values.get("REMI"))
    return {
        "layout": "slash", "transaction_type": values.get("TRTP"),
        "remittance": remittance, "structured_reference": structured,
        "end_to_end_id": values.get("EREF") or None, "mandate_id": values.get("MARF") or None,
        "creditor_id": values.get("CSID") or None,
        "counterparty_account": values.get("IBAN") or (party[0] if party else None) or None,
        "counterparty_bic": values.get("BIC") or (party[1] if len(party) > 1 else None) or None,
        "counterparty_name": values.get("NAME") or (party[2] if len(party) > 2 else None)
        or None,
        "codes": values,
    }


def _remi(value: str | None) -> tuple[str | None, str | None]:
    """``/REMI/USTD//text/`` is free text; ``/REMI/STRD/CUR/RF18.../`` a creditor reference."""
    if not value:
        return None, None
    if value.startswith("USTD//"):
        return value[6:].strip("/ ") or None, None
    if value.startswith("STRD/"):
        reference = value.split("/")[-1] or None
        return None, reference
    return value, None
