"""One row shape for every bank format, with the identity rules of SPEC §10 applied in one place."""

from __future__ import annotations

from collections import Counter
from hashlib import blake2b
from typing import Any

from stdnum import iso11649, luhn

from connectors.canonical import SourceSystem

BANK = SourceSystem.BANK.value

#: Keys of every row a bank connector emits: lineage (minus what the snapshot step adds) and
#: every ``BankTransaction`` column. A test keeps this in step with ``connectors.canonical``.
ROW_KEYS: tuple[str, ...] = (
    "record_id", "source_system", "source_ref", "source_position", "payload_hash", "raw",
    "correlation_id", "account", "currency", "amount", "booking_date", "value_date", "status",
    "is_reversal", "statement_id", "entry_seq", "detail_seq", "detail_count", "entry_amount",
    "acct_svcr_ref", "end_to_end_id", "bank_tx_code", "counterparty_name",
    "counterparty_account", "remittance_text", "structured_reference",
    "structured_reference_core", "instructed_amount",
    "instructed_currency", "exchange_rate", "charges_amount",
)

#: Placeholders banks write where a reference is absent; they identify nothing.
NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A"})


def reference_core(reference: str | None) -> str | None:
    """The invoice number a structured creditor reference carries without its check digits:
    an ISO 11649 RF reference is 'RF' + two check digits + the creditor's own reference
    ('RF72 9000 1972' carries 90001972); a Swedish OCR or Norwegian KID is the invoice number
    plus a Luhn (mod 10) digit ('900004243' carries 90000424). A reference whose check digits
    do not check, or any other reference, gives None (python-stdnum does the arithmetic)."""
    if not reference:
        return None
    if reference[:2].upper() == "RF":
        return iso11649.compact(reference)[4:] if iso11649.is_valid(reference) else None
    if 6 <= len(reference) <= 25 and reference.isdigit() and luhn.is_valid(reference):
        return reference[:-1]
    return None


def real_ref(value: str | None) -> str | None:
    """The reference, or None when the bank wrote a placeholder instead of one."""
    if value is None:
        return None
    value = value.strip()
    return None if value.upper() in NO_REFERENCE else value


def new_row(**fields: Any) -> dict[str, Any]:
    """A row with every key present (None where the format has nothing), for the slower formats."""
    row = dict.fromkeys(ROW_KEYS)
    row.update(source_system=BANK, status="booked", is_reversal=False, detail_count=1)
    row.update(fields)
    return row


def assign_identity(rows: list[dict[str, Any]]) -> list[str]:
    """Fill ``source_ref`` and ``record_id`` as SPEC §10 defines them.

    The entry's account servicer reference names the entry, else ``<statement id>#<entry
    seq>``; ``/<n>`` marks the n-th detail of a batch entry. By choice, a reference that names
    several entries of one account in the same file falls back to the positional form for
    those entries, because two records must never share an identity.

    Returns:
        The references that were ambiguous, for the batch's control figures.
    """
    # Each entry counted once: through its row without a detail number or its first detail.
    uses = Counter([(r["account"], r["acct_svcr_ref"]) for r in rows
                    if r["acct_svcr_ref"] and (r["detail_seq"] or 1) == 1])
    shared = {key for key, n in uses.items() if n > 1}
    for row in rows:
        ref, account, detail = row["acct_svcr_ref"], row["account"], row["detail_seq"]
        base = ref if ref and (account, ref) not in shared else (
            f"{row['statement_id']}#{row['entry_seq']}")
        if detail is not None:
            base = f"{base}/{detail}"
        row["source_ref"] = base
        row["record_id"] = _key(account, base)
    return sorted(ref for _, ref in shared)


def _key(account: str | None, base: str) -> str:
    """``record_key(BANK, account, base)``, inlined for speed (a test keeps them equal)."""
    text = f"{BANK}\x1f{'' if account is None else account}\x1f{base}"
    return blake2b(text.encode(), digest_size=10).hexdigest()
