"""SQL that turns an all-VARCHAR CSV into typed ledger lines, built by pure functions, run elsewhere.

Source columns are addressed by generated names (``c0``, ``c1`` ...), never by the file's own
header text. The header names reach the query only as JSON keys of the raw payload, JSON-encoded
and then quoted as SQL string literals by :func:`_literal`. The only other interpolated values are
the decimal separator and the time zone, both validated by the connector.

By choice, a value that cannot be read faithfully (an amount or date that does not parse, a
debit/credit indicator that contradicts the amount's sign) becomes NULL in its typed column while
the raw payload keeps the original text: the row stays visible and validation turns it into a
``source_system_defect`` instead of it vanishing at ingest.
"""

from __future__ import annotations

import json

from connectors.erp.mapping import COLUMNS, IDENTITY, Resolved

DEBIT = ("S", "D", "+")
CREDIT = ("H", "C", "-")
NULL_DATES = ("0", "00000000", "0000-00-00", "00.00.0000")

_TEXT = ("company_code", "document_number", "gl_account", "customer", "vendor", "reference",
         "assignment", "text", "clearing_document", "trading_partner", "purchase_order")
_UPPER = ("document_type", "currency", "local_currency", "account_type")
_DATES = ("posting_date", "document_date", "clearing_date")
_INTS = ("fiscal_year", "line_item")
CHECKED = (*_INTS, *_DATES, "entry_timestamp", "amount", "amount_local")
"""Typed columns whose source text may fail to parse; each failure is counted as a problem."""
HELPER_COLUMNS = ("pos", "problems", "in_ledger", "key_text")
"""Columns the checks need that are not part of ``ledger_line``."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source(n_columns: int) -> str:
    """The CSV as text columns c0..cN, in file order. Sniffing is off on purpose: the header was
    already read, and a sniffer guessing skipped rows or another dialect would drop lines."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_columns))
    return ("read_csv($path, auto_detect = false, header = true, delim = $delim, quote = '\"', "
            f"escape = '\"', columns = {{{cols}}}, encoding = $encoding, strict_mode = true)")


def decimal_probe_sql(r: Resolved) -> str:
    """Count amounts that look comma-decimal and dot-decimal, to guess the file's separator."""
    v = f"trim(c{r.columns['amount']})"
    comma, dot = "'[+-]?[0-9.]*,[0-9]+-?'", "'[+-]?[0-9,]*\\.[0-9]+-?'"
    sample = f"(SELECT c{r.columns['amount']} FROM {_source(len(r.header))} LIMIT 20000)"  # noqa: S608
    return (f"SELECT count(*) FILTER (WHERE regexp_full_match({v}, {comma})), "  # noqa: S608
            f"count(*) FILTER (WHERE regexp_full_match({v}, {dot})) FROM {sample}")


def _v(r: Resolved, role: str) -> str | None:
    """The trimmed source value of a role (NULL when empty), as computed by :func:`_trimmed`."""
    idx = r.columns.get(role)
    return None if idx is None else f"v{idx}"


def _trimmed(r: Resolved) -> str:
    """Each mapped column trimmed once (v0..vN) and the raw payload, over the CSV."""
    used = sorted(set(r.columns.values()))
    values = ", ".join(f"NULLIF(trim(c{i}), '') AS v{i}" for i in used)
    return (f"(SELECT {values}, {_raw(r.header)} AS raw "  # noqa: S608 (generated names only)
            f"FROM {_source(len(r.header))})")


def _date(v: str) -> str:
    nulls = ", ".join(_literal(n) for n in NULL_DATES)
    return (f"CASE WHEN {v} IS NULL OR {v} IN ({nulls}) THEN NULL "
            f"WHEN regexp_full_match({v}, '[0-9]{{8}}') THEN try_strptime({v}, '%Y%m%d')::DATE "
            f"WHEN regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T].*)?') "
            f"THEN TRY_CAST(left({v}, 10) AS DATE) "
            f"WHEN regexp_full_match({v}, '[0-9]{{1,2}}\\.[0-9]{{1,2}}\\.[0-9]{{4}}') "
            f"THEN try_strptime({v}, '%d.%m.%Y')::DATE END")


def _timestamp(v: str, time: str | None, tz: str) -> str:
    """SAP CPUDT(+CPUTM), ACDOCA yyyymmddhhmmss, or ISO; naive values are read in ``tz``."""
    zone = _literal(tz)
    if time is not None:
        digits = (f"regexp_replace({v}, '-', '', 'g') || "
                  f"lpad(regexp_replace(coalesce({time}, '0'), ':', '', 'g'), 6, '0')")
        sap = f"WHEN regexp_full_match({v}, '[0-9]{{8}}|[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') " \
              f"THEN timezone({zone}, try_strptime({digits}, '%Y%m%d%H%M%S')) "
    else:
        sap = (f"WHEN regexp_full_match({v}, '[0-9]{{14}}') "
               f"THEN timezone({zone}, try_strptime({v}, '%Y%m%d%H%M%S')) "
               f"WHEN regexp_full_match({v}, '[0-9]{{8}}') "
               f"THEN timezone({zone}, try_strptime({v}, '%Y%m%d')) ")
    aware = f"regexp_matches({v}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$')"
    return (f"CASE WHEN {v} IS NULL OR {v} IN ('0', '00000000') THEN NULL {sap}"
            f"WHEN {aware} THEN TRY_CAST({v} AS TIMESTAMPTZ) "
            f"ELSE timezone({zone}, TRY_CAST({v} AS TIMESTAMP)) END")


def _number(v: str, decimal: str) -> str:
    """Exact DECIMAL(18,4) from 1234.56, 1,234.56, 1.234,56 (decimal=','), 12.00- (SAP); else NULL.

    More than four decimals are accepted only as trailing zeros: rounding would not be faithful.
    """
    group = "," if decimal == "." else "."
    d, g = "\\" + decimal, "\\" + group
    body = f"([0-9]+|[0-9]{{1,3}}({g}[0-9]{{3}})+)({d}[0-9]{{1,4}}0*)?"
    plain = f"replace(replace({v}, '{group}', ''), '{decimal}', '.')"
    signed = f"CASE WHEN {v} LIKE '%-' THEN '-' || rtrim({plain}, '-') ELSE {plain} END"
    return (f"CASE WHEN regexp_full_match({v}, '[+-]?{body}|{body}-') "
            f"THEN TRY_CAST({signed} AS DECIMAL(18, 4)) END")


def _signed(amount: str, dc: str | None) -> str:
    """Apply a debit/credit indicator: credits negative; a negative debit is a contradiction."""
    if dc is None:
        return amount
    debit = ", ".join(_literal(x) for x in DEBIT)
    credit = ", ".join(_literal(x) for x in CREDIT)
    return (f"CASE WHEN upper({dc}) IN ({debit}) AND {amount} >= 0 THEN {amount} "
            f"WHEN upper({dc}) IN ({credit}) THEN -abs({amount}) END")


def _type(col: str) -> str:
    """The DuckDB type of a ledger_line column (so absent columns are typed NULLs)."""
    if col in _INTS:
        return "INTEGER"
    if col in _DATES:
        return "DATE"
    if col == "entry_timestamp":
        return "TIMESTAMPTZ"
    if col in ("amount", "amount_local"):
        return "DECIMAL(18, 4)"
    return "VARCHAR"


def typed_exprs(r: Resolved, decimal: str, tz: str) -> dict[str, str]:
    """One SQL expression per ledger_line column (NULL where the file has no such column)."""
    out: dict[str, str] = {}
    dc = _v(r, "debit_credit")
    for col in COLUMNS:
        v = _v(r, col)
        if v is None:
            out[col] = f"NULL::{_type(col)}"
        elif col in _TEXT:
            out[col] = v
        elif col in _UPPER:
            out[col] = f"upper({v})"
        elif col in _INTS:
            out[col] = f"TRY_CAST({v} AS INTEGER)"
        elif col in _DATES:
            out[col] = _date(v)
        elif col == "entry_timestamp":
            out[col] = _timestamp(v, _v(r, "entry_time"), tz)
        else:
            out[col] = _signed(_number(v, decimal), dc)
    # No KOART column (BSAK, BSAD, ACDOCA extracts without it): the party decides, else ledger.
    party = f"CASE WHEN {out['vendor']} IS NOT NULL THEN 'K' " \
            f"WHEN {out['customer']} IS NOT NULL THEN 'D' ELSE 'S' END"
    out["account_type"] = f"coalesce({out['account_type']}, {party})"
    out["amount"] = f"{out['amount']}::DECIMAL(18, 4)"
    out["amount_local"] = f"{out['amount_local']}::DECIMAL(18, 4)"
    return out


def _raw(header: list[str]) -> str:
    """The row as a JSON object of its non-empty fields, keys as the file names them."""
    parts = ", ".join(f"{_literal(json.dumps(name) + ':')} || to_json(c{i})"
                      for i, name in enumerate(header))
    return f"'{{' || concat_ws(',', {parts}) || '}}'"


def _problems(r: Resolved) -> str:
    """Names of the columns whose source text did not parse; NULL (cheap) for clean rows."""
    nulls = ", ".join(_literal(n) for n in NULL_DATES)
    conds = {c: f"({_v(r, c)} IS NOT NULL AND {c} IS NULL"
                + (f" AND {_v(r, c)} NOT IN ({nulls}))" if c in (*_DATES, "entry_timestamp") else ")")
             for c in CHECKED if c in r.columns}
    dc = _v(r, "debit_credit")
    if dc is not None:
        known = ", ".join(_literal(x) for x in DEBIT + CREDIT)
        conds["debit_credit"] = f"({dc} IS NULL OR upper({dc}) NOT IN ({known}))"
    if not conds:
        return "NULL::VARCHAR[]"
    names = ", ".join(f"CASE WHEN {cond} THEN '{c}' END" for c, cond in conds.items())
    return (f"CASE WHEN {' OR '.join(conds.values())} "
            f"THEN list_filter([{names}], x -> x IS NOT NULL) END::VARCHAR[]")


def select_sql(r: Resolved, decimal: str, tz: str, ledger: bool) -> str:
    """Typed ledger_line columns plus lineage text and the helper columns the checks use.

    DuckDB lets later select items name earlier aliases, so each expression is written once.
    """
    exprs = typed_exprs(r, decimal, tz)
    problems = _problems(r)
    led = _v(r, "ledger")
    keep = f"({led} IS NULL OR upper({led}) = $ledger)" if led and ledger else "true"
    # the identifier as the export writes it (SAP's line item 001 stays 001): the ref a person
    # types into the ERP and the one a reconciliation report elsewhere names (SPEC §10)
    ref = " || '/' || ".join(_v(r, c) or c for c in IDENTITY)
    select = ", ".join(f"{e} AS {c}" for c, e in exprs.items())
    return (f"SELECT {select}, {ref} AS source_ref, "  # noqa: S608 (generated names only)
            f"coalesce(purchase_order, reference) AS correlation_id, raw, "
            f"{problems} AS problems, {keep} AS in_ledger, "
            f"concat_ws(chr(31), 'erp', {', '.join(IDENTITY)}) AS key_text "
            f"FROM {_trimmed(r)}")


# --- checks over the typed rows (registered as ``typed``, with ``pos``) -----------------------

def unidentified_sql() -> str:
    """Rows without a complete document identity: they cannot be keyed or traced."""
    missing = ", ".join(f"CASE WHEN {c} IS NULL THEN '{c}' END" for c in IDENTITY)
    where = " OR ".join(f"{c} IS NULL" for c in IDENTITY)
    return (f"SELECT pos, concat_ws(', ', {missing}), count(*) OVER () FROM typed "  # noqa: S608
            f"WHERE in_ledger AND ({where}) ORDER BY pos LIMIT 1")


def repeated_keys_sql() -> str:
    """Line keys that occur more than once (conflicting contents first)."""
    keys = ", ".join(IDENTITY)
    return (f"SELECT min(pos), max(pos), count(*), count(DISTINCT raw) > 1, {keys} "  # noqa: S608
            f"FROM typed WHERE in_ledger AND key_text IN (SELECT key_text FROM typed "
            f"WHERE in_ledger GROUP BY key_text HAVING count(*) > 1) "
            f"GROUP BY {keys} ORDER BY 4 DESC, 1 LIMIT 1")


def repeats_sql() -> str:
    """Positions of exact repeats after the first occurrence of each line key."""
    keys = ", ".join(IDENTITY)
    return (f"SELECT pos FROM typed WHERE in_ledger QUALIFY row_number() OVER "  # noqa: S608
            f"(PARTITION BY {keys} ORDER BY pos) > 1")


def problems_sql() -> str:
    """Unreadable values per column: how many rows, and the first one."""
    return ("SELECT p, count(*), min(pos) FROM (SELECT pos, unnest(problems) AS p FROM typed "
            "WHERE in_ledger AND problems IS NOT NULL) GROUP BY p ORDER BY p")
