"""Masking of bank account numbers and IBANs before anything reaches a browser (pure, no Streamlit).

Who may see them unmasked is a role permission (``jobs.workflow.SEE_ACCOUNTS``); everyone else
sees ``DE89 **** **** **** 3000``: enough to tell two accounts apart, not enough to use one.
Masking happens on the server, on the values sent to the page, never by styling in the browser.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

# Where an IBAN may start: a country code and two check digits. A candidate is an IBAN only if
# it has its country's length and a valid ISO 7064 mod-97 checksum, so bank references that look
# alike (``DB26091700000013``) stay readable.
IBAN_START = re.compile(r"\b([A-Z]{2})\d{2}")
IBAN_LENGTHS = dict(
    AD=24, AE=23, AL=28, AT=20, AZ=28, BA=20, BE=16, BG=22, BH=22, BR=29, BY=28, CH=21, CR=22,
    CY=28, CZ=24, DE=22, DK=18, DO=28, EE=20, EG=29, ES=24, FI=18, FO=18, FR=27, GB=22, GE=22,
    GI=23, GL=18, GR=27, GT=28, HR=21, HU=28, IE=22, IL=23, IQ=23, IS=26, IT=27, JO=30, KW=30,
    KZ=20, LB=28, LC=32, LI=21, LT=20, LU=20, LV=21, MC=27, MD=24, ME=22, MK=19, MR=27, MT=31,
    MU=30, NL=18, NO=15, PK=24, PL=28, PS=29, PT=25, QA=29, RO=24, RS=22, SA=24, SC=31, SE=24,
    SI=19, SK=24, SM=27, ST=25, SV=28, TL=23, TN=24, TR=26, UA=29, VA=22, VG=24, XK=20)
# Keys naming an account number in raw payloads (camt ``Acct``/``IBAN``/``Othr``, MT940
# ``:25:``, a connector's ``counterparty_account``); ledger and procurement codes are not.
_ACCOUNT_KEY = re.compile(r"iban|bban|acct|account|:25:|^othr$", re.IGNORECASE)
_NOT_ACCOUNT_KEY = re.compile(r"gl|type|code|currency|ccy|name|svcr|servicer", re.IGNORECASE)
MASK = "****"


def is_iban(value: str) -> bool:
    """True for a well-formed IBAN (spaces allowed): its country's length, valid checksum."""
    compact = re.sub(r"\s", "", value).upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def mask_account(value: str) -> str:
    """``DE89 **** **** **** 3000`` for an IBAN, ``**** 3000`` for any other account number."""
    compact = re.sub(r"\s", "", value)
    if MASK in value:  # masked already
        return value
    if len(compact) <= 4:
        return MASK
    if is_iban(compact):
        return f"{compact[:4]} {MASK} {MASK} {MASK} {compact[-4:]}"
    return f"{MASK} {compact[-4:]}"


def mask_text(text: str) -> str:
    """Every IBAN inside free text (remittance information, a detail message) masked."""
    spans = list(_ibans(text))
    for start, end in reversed(spans):
        text = text[:start] + mask_account(text[start:end]) + text[end:]
    return text


def _ibans(text: str):
    """(start, end) of every IBAN in ``text``, written compact or in groups of four."""
    for m in IBAN_START.finditer(text):
        length, i, n = IBAN_LENGTHS.get(m.group(1)), m.start(), 0
        if length is None:
            continue
        while i < len(text) and n < length:
            if text[i].isascii() and text[i].isalnum():
                n, i = n + 1, i + 1
            elif text[i] == " " and i + 1 < len(text) and text[i + 1].isalnum():
                i += 1
            else:
                break
        boundary = i == len(text) or not text[i].isalnum()
        if n == length and boundary and is_iban(text[m.start():i]):
            yield m.start(), i


def mask_payload(payload: Any, key: str = "") -> Any:
    """A raw payload (parsed JSON) with account-number values and IBANs in text masked."""
    if isinstance(payload, dict):
        return {k: mask_payload(v, _key(key, k)) for k, v in payload.items()}
    if isinstance(payload, list):
        return [mask_payload(v, key) for v in payload]
    if isinstance(payload, str):
        return mask_account(payload) if _is_account_key(key) else mask_text(payload)
    if isinstance(payload, int) and not isinstance(payload, bool) and _is_account_key(key):
        return mask_account(str(payload))
    return payload


def mask_raw(raw: str | None) -> str | None:
    """A raw payload as stored (JSON text, or plain text for line formats) masked."""
    if raw is None:
        return None
    try:
        return json.dumps(mask_payload(json.loads(raw)), ensure_ascii=False)
    except ValueError:
        return mask_text(raw)


def mask_frame(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with IBANs masked in its text columns (or the given ones)."""
    out = frame.copy()
    targets = columns if columns is not None else [
        c for c in out.columns if out[c].dtype == object or pd.api.types.is_string_dtype(out[c])]
    for column in targets:
        if column in out.columns:
            out[column] = out[column].map(lambda v: mask_text(v) if isinstance(v, str) else v)
    return out


def _key(parent: str, key: str) -> str:
    """The key that decides: a generic ``Id``/``#text`` inherits its parent's meaning."""
    return parent if key.lower() in {"id", "#text", "value", "othr"} and parent else key


def _is_account_key(key: str) -> bool:
    return bool(key) and bool(_ACCOUNT_KEY.search(key)) and not _NOT_ACCOUNT_KEY.search(key)
