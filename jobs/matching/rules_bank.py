"""bank_to_ledger rules: bank statement lines against ERP lines on the bank account's GL account.

Also the Stripe payout rule, because a payout is found through the bank line that received it.
"""

from __future__ import annotations

from jobs.matching.outcome import pair_outcome
from jobs.matching.steps import (
    LEFT_RIGHT,
    Step,
    anti_claimed,
    claim,
    match_id,
    open_rows,
    pair_match_id,
    per_side,
    unclaimed,
    unpadded,
)

WF = "bank_to_ledger"
MAX_GRAM_TOKENS = 4
MAX_SUBSET_LINES = 20  # 2 × 2^10 partial sums in run.unique_subset: a run's lines

_PAIR_COLS = """b.record_id AS l_id, e.record_id AS r_id, b.amount AS l_amt, e.amount AS r_cmp,
                b.currency, b.charges_amount AS l_charges,
                coalesce(b.instructed_currency <> b.currency, FALSE) AS l_foreign"""

_SAME_ACCOUNT = """e.on_bank_gl AND e.entity = b.entity AND e.gl_account = b.gl_account
                   AND e.currency = b.currency AND e.amount IS NOT NULL"""


def _unique_pairs(name: str, body: str) -> Step:
    """Keep only pairs where each side has exactly one candidate: never guess between two."""
    return Step(name, f"""
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT * FROM ({body})
        QUALIFY count(*) OVER (PARTITION BY l_id) = 1 AND count(*) OVER (PARTITION BY r_id) = 1""")


def _gram_sizes() -> str:
    """The runs of 1..MAX_GRAM_TOKENS tokens from position i, glued (NULL past the end)."""
    toks = [f"list_extract(toks, i + {k})" for k in range(MAX_GRAM_TOKENS)]
    return ", ".join(" || ".join(toks[:n]) for n in range(1, MAX_GRAM_TOKENS + 1))


def grams_step() -> Step:
    """Every run of 1..4 consecutive tokens of the remittance text, joined without separators,
    so 'INV DE01 004711' and 'inv-de01-004711' both yield the reference INVDE01004711. Grams come
    from the text as written and from its cut variant (see prepare: ``text_cut``), so references
    glued to a neighbouring word are found while mixed-case ids (Stripe's) stay whole.

    Only grams that are some ERP key or payout id are kept: the rules join grams to nothing
    else, and at scale a few percent of the millions of grams are keys."""
    return Step("remittance grams", f"""
        CREATE OR REPLACE TEMP TABLE recon__grams AS
        WITH todo AS (SELECT b.record_id, b.text, b.text_cut, b.name FROM recon__bank b
                      {anti_claimed('b')}
                      -- a line whose end-to-end id is an ERP reference is settled by the
                      -- exact rule: its text is not needed (most lines, at scale)
                      ANTI JOIN recon__erp_key k ON k.key = b.ref
                      WHERE b.text <> '' OR regexp_matches(b.name, '[0-9]{{5}}')),
             src AS (SELECT record_id, text FROM todo
                     UNION ALL
                     SELECT record_id, text_cut FROM todo WHERE text_cut <> text
                     UNION ALL
                     -- Japanese (Zengin) transfers put the invoice number before the payer's
                     -- name, in the name field
                     SELECT record_id, upper(name) FROM todo
                     WHERE regexp_matches(name, '[0-9]{{5}}')),
             t AS (SELECT record_id, list_filter(string_split_regex(text, '[^A-Z0-9]+'),
                                                  x -> x <> '') AS toks FROM src),
             p AS (SELECT record_id, toks, unnest(range(1, array_length(toks) + 1)) AS i FROM t),
             -- the sizes as one list per position: slicing the token list per gram, or a join
             -- with the sizes, cost several times as much
             g AS (SELECT record_id, unnest([{_gram_sizes()}]) AS gram FROM p),
             -- a number without its leading zeros, as keys are (steps.norm)
             u AS (SELECT record_id, {unpadded('gram')} AS gram FROM g)
        SELECT DISTINCT record_id, gram FROM u
        WHERE length(gram) >= 5
          AND gram IN (SELECT key FROM recon__erp_key
                       UNION ALL SELECT ref FROM recon__billing WHERE kind = 'payout')""")


_PAYOUT_AGREES = """abs(p_amt - b_amt) <= $tol_abs
                    AND (e_id IS NULL OR abs(e_amt - b_amt) <= $tol_abs)"""


def payout_steps(conf: float) -> list[Step]:
    """A Stripe payout, the bank credit that names it, and the ERP bank line booked for it."""
    return [
        Step("payout candidates", f"""
            CREATE OR REPLACE TEMP TABLE recon__payout AS
            SELECT p.record_id AS p_id, b.record_id AS b_id, e.record_id AS e_id,
                   p.amount AS p_amt, b.amount AS b_amt, e.amount AS e_amt
            FROM recon__billing p
            -- keys narrowed to payout ids before the DISTINCT of UNION (millions of grams)
            JOIN (SELECT record_id, ref AS key FROM recon__bank
                  WHERE ref IN (SELECT ref FROM recon__billing WHERE kind = 'payout')
                  UNION SELECT record_id, gram FROM recon__grams
                  WHERE gram IN (SELECT ref FROM recon__billing WHERE kind = 'payout')) bk
                 ON bk.key = p.ref
            JOIN {open_rows('recon__bank', 'b')} ON b.record_id = bk.record_id
                 AND b.currency = p.currency
            LEFT JOIN (SELECT e.* , k.key FROM recon__erp_key k
                       JOIN {open_rows('recon__erp', 'e')} ON e.record_id = k.record_id
                       WHERE e.on_bank_gl) e
                 ON e.key = p.ref AND e.entity = b.entity AND e.gl_account = b.gl_account
            WHERE p.kind = 'payout' AND {unclaimed('p')}
            QUALIFY count(*) OVER (PARTITION BY p.record_id) = 1
                AND count(*) OVER (PARTITION BY b.record_id) = 1"""),
        Step("payout: matches", "INSERT INTO recon__m " + per_side(
            f"'billing_to_ledger', 'payout_net_of_fees', {conf}, {{id}}, {{side}}, "
            + match_id("[p_id, b_id, e_id]"),
            "recon__payout", [{"id": "p_id", "side": "'left'"}, {"id": "b_id", "side": "'right'"},
                              {"id": "e_id", "side": "'right'"}],
            f"{{id}} IS NOT NULL AND {_PAYOUT_AGREES}")),
        Step("payout: disputes", "INSERT INTO recon__d " + per_side(
            "'billing_to_ledger', 'amount_variance', "
            "CASE WHEN b_amt < p_amt THEN 'bank_fee' ELSE 'other' END, {id}, {other}, b_amt - p_amt",
            "recon__payout", [{"id": "p_id", "other": "b_id"}, {"id": "b_id", "other": "p_id"},
                              {"id": "e_id", "other": "b_id"}],
            f"{{id}} IS NOT NULL AND NOT ({_PAYOUT_AGREES})")),
        # e_id is NULL where no ERP bank line was booked for the payout
        claim("recon__payout", "unnest(list_filter([p_id, b_id, e_id], x -> x IS NOT NULL))"),
        # A bank credit that says only "STRIPE" (many banks drop the payout id): the payout of
        # that exact amount that arrived within the window, when each has no other candidate.
        Step("payout by amount", f"""
            CREATE OR REPLACE TEMP TABLE recon__payout_amount AS
            SELECT p.record_id AS p_id, b.record_id AS b_id
            FROM {open_rows('recon__billing', 'p')} JOIN {open_rows('recon__bank', 'b')}
                 ON b.amount = p.amount AND b.currency = p.currency
                 AND date_diff('day', p.event_date, b.event_date) BETWEEN 0 AND $window
            WHERE p.kind = 'payout' AND b.amount > 0
              AND (upper(b.name) LIKE '%STRIPE%' OR b.text LIKE '%STRIPE%')
            QUALIFY count(*) OVER (PARTITION BY p.record_id) = 1
                AND count(*) OVER (PARTITION BY b.record_id) = 1"""),
        Step("payout by amount: matches", "INSERT INTO recon__m " + per_side(
            f"'billing_to_ledger', 'payout_net_of_fees', {conf - 0.09}, {{id}}, {{side}}, "
            + pair_match_id("p_id", "b_id"), "recon__payout_amount",
            [{"id": "p_id", "side": "'left'"}, {"id": "b_id", "side": "'right'"}])),
        claim("recon__payout_amount", "unnest([p_id, b_id])"),
    ]


def exact_reference_steps(conf: float, split_conf: float | None) -> list[Step]:
    """Bank line and ERP line on its account sharing a reference. With ``split_conf`` (the
    batch rule is on), split documents are taken from the candidates first (confidence)."""
    split = document_split_steps(split_conf) if split_conf is not None else []
    # what the split documents took: the candidates were found before them
    taken = ("""ANTI JOIN recon__p_doc x ON x.l_id = c.l_id
            ANTI JOIN recon__p_doc y ON y.r_id = c.r_id""" if split else "")
    # no DISTINCT: a bank line has one reference, an ERP line each key once (recon__erp_key)
    body = f"""SELECT {_PAIR_COLS} FROM {open_rows('recon__bank', 'b')}
               JOIN recon__erp_key k ON k.key = b.ref
               JOIN {open_rows('recon__erp', 'e')} ON e.record_id = k.record_id AND {_SAME_ACCOUNT}
               WHERE b.ref IS NOT NULL"""
    # A payment in another currency than the account's, booked by the ERP in the invoice's
    # currency on that account, named by its reference or in its text: compared after FX at
    # the ERP posting date (fx_rates), within the rate band a match (fx_tolerance), beyond it
    # an amount_variance (fx_difference).
    in_fx = f"""SELECT DISTINCT b.record_id AS l_id, e.record_id AS r_id, b.amount AS l_amt,
                       round(e.amount * f.rate, 4) AS r_cmp, b.currency,
                       b.charges_amount AS l_charges, TRUE AS l_foreign
                -- the few ERP lines on a bank GL account in another currency than its own
                FROM (SELECT * FROM recon__erp x WHERE x.on_bank_gl AND x.amount IS NOT NULL
                        AND EXISTS (SELECT 1 FROM recon__account a
                                    WHERE a.company_code = x.entity
                                      AND a.gl_account = x.gl_account
                                      AND a.currency IS DISTINCT FROM x.currency)) e
                JOIN recon__erp_key k ON k.record_id = e.record_id
                -- named by the end-to-end id or in the remittance text
                JOIN (SELECT record_id, ref AS key FROM recon__bank WHERE ref IS NOT NULL
                      UNION ALL SELECT record_id, gram FROM recon__grams) bk ON bk.key = k.key
                JOIN recon__bank b ON b.record_id = bk.record_id AND e.entity = b.entity
                     AND e.gl_account = b.gl_account AND e.currency <> b.currency
                ASOF JOIN recon__fx f ON f.from_currency = e.currency
                     AND f.to_currency = b.currency AND e.event_date >= f.date
                WHERE {unclaimed('b')} AND {unclaimed('e')}"""
    return [
        # kept whole: a line several ERP lines carry the reference of is a batch's to take
        Step("exact candidates", f"""
            CREATE OR REPLACE TEMP TABLE recon__exact_c AS
            SELECT *, count(*) OVER (PARTITION BY l_id) AS n_l,
                   count(*) OVER (PARTITION BY r_id) AS n_r
            FROM ({body})"""),
        *split,
        # An ERP line that one bank line names on its own and a payment run's debit names too
        # (by the run id the line carries as its assignment) is that bank line's: the run
        # then balances without it (batch rule) or stays open. Two single candidates: neither.
        Step("recon__p_exact", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_exact AS
            SELECT c.* FROM recon__exact_c c
            {taken}
            WHERE n_l = 1
              AND (n_r = 1 OR r_id IN (SELECT r_id FROM recon__exact_c WHERE n_r > 1
                                       GROUP BY r_id HAVING count(*) FILTER (WHERE n_l = 1) = 1))"""),
        *pair_outcome("recon__p_exact", WF, "exact_reference", conf, bank_pairs=True),
        claim("recon__p_exact", "unnest([l_id, r_id])"),
        _unique_pairs("recon__p_exact_fx", in_fx),
        *pair_outcome("recon__p_exact_fx", WF, "exact_reference", conf,
                      tolerance="$fx_band * abs(r_cmp)", tol_rule="fx_tolerance"),
        claim("recon__p_exact_fx", "unnest([l_id, r_id])"),
    ]


def document_split_steps(conf: float) -> list[Step]:
    """A payment the ERP booked as one document with a bank-account line per invoice it
    settles, named by the bank line through one or some of those lines (its reference, or
    invoice numbers in its text, often glued at a wrap): the bank line and all the document's
    open lines on that account, when together they equal its amount. Runs before the
    reference pairs, which would otherwise call the one named line an overpayment."""
    named = """SELECT l_id, r_id FROM recon__exact_c WHERE l_amt <> r_cmp
               UNION
               SELECT g.record_id, k.record_id FROM recon__grams g
               JOIN recon__erp_key k ON k.key = g.gram"""
    return _whole_groups("document split", "recon__p_doc", conf, f"""
        docs AS (SELECT DISTINCT n.l_id, e.entity, e.fiscal_year, e.document_number,
                        e.gl_account, e.currency
                 FROM ({named}) n JOIN recon__erp e ON e.record_id = n.r_id
                 WHERE e.on_bank_gl),
        lines AS (SELECT d.l_id, list(e.record_id) AS r_ids, sum(e.amount) AS total,
                         any_value(d.entity) AS entity, any_value(d.gl_account) AS gl_account,
                         any_value(d.currency) AS currency
                  FROM docs d JOIN {open_rows('recon__erp', 'e')}
                       ON e.on_bank_gl AND e.entity = d.entity AND e.fiscal_year = d.fiscal_year
                       AND e.document_number = d.document_number
                       AND e.gl_account = d.gl_account AND e.currency = d.currency
                       AND e.amount IS NOT NULL
                  GROUP BY d.l_id, d.entity, d.fiscal_year, d.document_number, d.gl_account,
                           d.currency
                  HAVING count(*) >= 2),
        -- one such document per bank line
        fit AS (SELECT l.l_id, l.r_ids
                FROM lines l JOIN {open_rows('recon__bank', 'b')} ON b.record_id = l.l_id
                     AND b.entity = l.entity AND b.gl_account = l.gl_account
                     AND b.currency = l.currency AND abs(b.amount - l.total) <= $tol_abs
                QUALIFY count(*) OVER (PARTITION BY l.l_id) = 1)""")


def _whole_groups(step: str, table: str, conf: float, ctes: str) -> list[Step]:
    """Bank lines with the ERP lines ``ctes`` give them (its last CTE, ``fit``: l_id and the
    list r_ids, NULL for none) as batch_payment groups, whole or not at all: a group one of
    whose lines another group wants too is neither's."""
    return [
        Step(step, f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            WITH {ctes},
                 members AS (SELECT l_id, unnest(r_ids) AS r_id,
                                    {match_id("[l_id] || r_ids")} AS match_id
                             FROM fit WHERE r_ids IS NOT NULL)
            SELECT l_id, r_id, match_id FROM (
                SELECT *, count(*) OVER (PARTITION BY r_id) AS n_r FROM members)
            QUALIFY max(n_r) OVER (PARTITION BY l_id) = 1"""),
        # DISTINCT: the bank line is the left side of each of its pairs
        Step(f"{step}: matches", "INSERT INTO recon__m SELECT DISTINCT * FROM ("
             + per_side(f"'{WF}', 'batch_payment', {conf}, {{id}}, {{side}}, match_id",
                        table, LEFT_RIGHT) + ")"),
        claim(table, "unnest([l_id, r_id])"),
    ]


def text_candidates_step() -> Step:
    """Each bank line with each ledger line on its account whose key its remittance text names
    (recon__grams), made once for the rules that read it: the reference in the text, its second
    pass and the batch payments. Each takes the pairs still open when it runs (``_OPEN_TEXT``);
    records are only ever claimed, so that is the join made at that point."""
    return Step("text candidates", f"""
        CREATE OR REPLACE TEMP TABLE recon__text_c AS
        SELECT DISTINCT {_PAIR_COLS}
        FROM recon__grams g JOIN recon__bank b ON b.record_id = g.record_id
        JOIN recon__erp_key k ON k.key = g.gram
        JOIN recon__erp e ON e.record_id = k.record_id AND {_SAME_ACCOUNT}
        -- claims after the join: the few grams narrow far more than they do
        WHERE {unclaimed('b')} AND {unclaimed('e')}""")


_OPEN_TEXT = f"""(SELECT c.* FROM recon__text_c c {anti_claimed('c', 'l_id')}
                  {anti_claimed('c', 'r_id')})"""


def reference_in_text_steps(conf: float) -> list[Step]:
    return _text_pairs("recon__p_text", _OPEN_TEXT, conf)


def residual_reference_steps(conf: float) -> list[Step]:
    """The reference in the text once more, after every other rule: two invoices under one
    number (two customers, two series) named by two payments make each line two candidates, so
    the first pass pairs none; when the other rules have since settled one pair (by amount,
    date and name), what is left is one line naming one line, a pair like any other."""
    return _text_pairs("recon__p_text_left", _OPEN_TEXT, conf)


def _text_pairs(table: str, candidates: str, conf: float) -> list[Step]:
    # as for the reference pairs, a line one bank line names alone is that line's even when a
    # payment run's debit names it too (the run id in its text); two such lines: neither
    return [Step(table, f"""
                CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT l_id, r_id, l_amt, r_cmp, currency, l_charges, l_foreign FROM (
                    SELECT *, count(*) OVER (PARTITION BY l_id) AS n_l FROM {candidates})
                WHERE n_l = 1
                QUALIFY count(*) OVER (PARTITION BY r_id) = 1"""),
            *pair_outcome(table, WF, "reference_in_text", conf, bank_pairs=True),
            claim(table, "unnest([l_id, r_id])")]


def batch_payment_steps(conf: float, max_batch: int) -> list[Step]:
    """One bank line whose remittance names several ERP items that sum to its amount, or whose
    end-to-end id several ERP lines carry (a payment run's id on each of its payments)."""
    # the reference rule's candidates (recon__exact_c): the same join, made once
    by_ref = f"""SELECT l_id, r_id, l_amt, r_cmp, currency, l_charges, l_foreign
                 FROM recon__exact_c c {anti_claimed('c', 'l_id')} {anti_claimed('c', 'r_id')}
                 WHERE n_l > 1 OR n_r > 1"""  # the unique pairs are claimed already
    candidates = f"SELECT * FROM {_OPEN_TEXT} UNION {by_ref}"
    return [
        Step("batch candidates", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_batch AS
            SELECT *, {match_id("[l_id] || list(r_id) OVER (PARTITION BY l_id)")} AS match_id
            FROM (SELECT * FROM ({candidates})
                  QUALIFY count(*) OVER (PARTITION BY r_id) = 1
                      AND count(*) OVER (PARTITION BY l_id) BETWEEN 2 AND {int(max_batch)}
                      AND abs(l_amt - sum(r_cmp) OVER (PARTITION BY l_id)) <= $tol_abs)"""),
        # DISTINCT: the bank line is the left side of each of its pairs
        Step("batch: matches", "INSERT INTO recon__m SELECT DISTINCT * FROM (" + per_side(
            f"'{WF}', 'batch_payment', {conf}, {{id}}, {{side}}, match_id",
            "recon__p_batch", LEFT_RIGHT) + ")"),
        claim("recon__p_batch", "unnest([l_id, r_id])"),
        # A payment run paid in several debits, each naming the run, or a debit that leaves
        # out a line of the run (paid separately, or failed): each debit with the one subset
        # of the run's open lines that adds up to it exactly. Lines two debits' subsets share
        # are neither's; no subset, or two, is an exception.
        *_whole_groups("batch subsets", "recon__p_subset", conf, f"""
            -- (the candidates leave out what is claimed, the batches just taken included)
            open AS (SELECT c.l_id, c.r_id, c.l_amt, c.r_cmp FROM ({candidates}) c
                     WHERE NOT c.l_foreign),
            fit AS (SELECT l_id, unique_subset(list(r_id ORDER BY r_id), list(r_cmp ORDER BY r_id),
                                               any_value(l_amt)) AS r_ids
                    FROM open GROUP BY l_id
                    HAVING count(*) BETWEEN 2 AND {MAX_SUBSET_LINES})"""),
        # The other way round: a batch entry the bank split into its transaction details (a
        # direct-debit collection of many debtors) that the ERP booked as one line for the
        # entry's amount. The open details must add up to the entry; the line must
        # be the only one of that amount on the account within the window, and the entry its
        # only candidate.
        Step("batch entries", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_entry AS
            WITH entries AS (
                SELECT b.batch_entry, any_value(b.entity) AS entity,
                       any_value(b.gl_account) AS gl_account, any_value(b.currency) AS currency,
                       any_value(b.entry_amount) AS entry_amount, sum(b.amount) AS total,
                       min(b.event_date) AS event_date, list(b.record_id) AS details
                FROM recon__bank b
                -- claims after narrowing to batch details; a claimed detail leaves the open
                -- ones short of the entry's amount
                WHERE b.batch_entry IS NOT NULL AND {unclaimed('b')}
                GROUP BY b.batch_entry
                HAVING count(DISTINCT b.currency) = 1 AND sum(b.amount) = any_value(b.entry_amount))
            SELECT n.details, e.record_id AS e_id,
                   {match_id("n.details || [e.record_id]")} AS match_id
            FROM entries n JOIN recon__erp e ON e.on_bank_gl
                 AND e.entity = n.entity AND e.gl_account = n.gl_account
                 AND e.currency = n.currency AND e.amount = n.total
                 AND abs(date_diff('day', n.event_date, e.event_date)) <= $window
            WHERE {unclaimed('e')}
            QUALIFY count(*) OVER (PARTITION BY n.batch_entry) = 1
                AND count(*) OVER (PARTITION BY e.record_id) = 1"""),
        Step("batch entries: matches", f"""
            INSERT INTO recon__m
            SELECT '{WF}', 'batch_payment', {conf}, unnest(details), 'left', match_id
            FROM recon__p_entry
            UNION ALL
            SELECT '{WF}', 'batch_payment', {conf}, e_id, 'right', match_id FROM recon__p_entry"""),
        claim("recon__p_entry", "unnest(details || [e_id])"),
    ]


# the numbers of five digits or more in a text, without leading zeros
_NUMBERS = "regexp_extract_all(coalesce({text}, ''), '[1-9][0-9]{{4,}}')"


# the fuzzy candidates judged by name: alike enough, and neither line taken by a number both
# texts carry (recon__fuzzy_n)
_BY_NAME = """score >= $min_score AND l_id NOT IN (SELECT l_id FROM recon__fuzzy_n)
              AND r_id NOT IN (SELECT r_id FROM recon__fuzzy_n)"""


def fuzzy_name_steps(conf: float) -> list[Step]:
    """Same amount, dates within the window, counterparty names alike; the best candidate only,
    and only when it is clearly the best for both sides. Ties stay exceptions with candidates."""
    return [
        Step("fuzzy candidates", f"""
            CREATE OR REPLACE TEMP TABLE recon__fuzzy_c AS
            SELECT l_id, r_id, l_amt, r_cmp, numbered,
                   CASE WHEN numbered THEN 100
                   -- a line without a counterparty (charges, interest) speaks through its
                   -- text; against a ledger line without customer or vendor, in another
                   -- language ('KONTOFUEHRUNGSGEBUEHR', 'Bankgebuehren 12/2025'), amount, date
                   -- and account alone, when unique both ways (the ambiguity step), unless
                   -- its text names an ERP item (then that is what it is about)
                   ELSE greatest(coalesce(name_score(coalesce(b_name, b_text), e_name), 0),
                                 CASE WHEN nullif(b_name, '') IS NULL AND named_id IS NULL
                                           AND account_type = 'S'
                                           AND customer IS NULL AND vendor IS NULL
                                      THEN $min_score ELSE 0 END) END AS score
            FROM (
            SELECT b.record_id AS l_id, e.record_id AS r_id, b.amount AS l_amt, e.amount AS r_cmp,
                   -- a number both texts carry (an order number on a payment on account, whose
                   -- ERP line says 'Anzahlung Akonto Auftr. 630124' and names nobody)
                   list_has_any({_NUMBERS.format(text="b.text || ' ' || coalesce(b.name, '')")},
                                {_NUMBERS.format(text="e.name")}) AS numbered,
                   b.name AS b_name, b.text AS b_text, e.name AS e_name, named.id AS named_id,
                   e.account_type, e.customer, e.vendor
            FROM {open_rows('recon__bank', 'b')} JOIN {open_rows('recon__erp', 'e')}
                 ON {_SAME_ACCOUNT} AND e.amount = b.amount
                 AND abs(date_diff('day', b.event_date, e.event_date)) <= $window
            LEFT JOIN (SELECT DISTINCT record_id AS id FROM recon__grams) named
                 ON named.id = b.record_id)"""),
        # A number both texts carry outranks names: each line's only such candidate is its
        # pair, even where the same customer's other line of that amount is in the window
        # (a payment on account beside an invoice of the same amount). The other candidates
        # of those two lines are then judged without them.
        Step("fuzzy numbered", """
            CREATE OR REPLACE TEMP TABLE recon__fuzzy_n AS
            SELECT l_id, r_id FROM recon__fuzzy_c WHERE numbered
            QUALIFY count(*) OVER (PARTITION BY l_id) = 1
                AND count(*) OVER (PARTITION BY r_id) = 1"""),
        Step("fuzzy ambiguous", f"""
            CREATE OR REPLACE TEMP TABLE recon__ambiguous AS
            WITH c AS (SELECT * FROM recon__fuzzy_c c WHERE {_BY_NAME})
            SELECT l_id AS record_id, list(r_id ORDER BY score DESC, r_id) AS candidates
            FROM c GROUP BY l_id HAVING count(*) > 1
            UNION ALL
            SELECT r_id, list(l_id ORDER BY score DESC, l_id)
            FROM c GROUP BY r_id HAVING count(*) > 1"""),
        Step("fuzzy pairs", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_fuzzy AS
            SELECT c.* FROM recon__fuzzy_c c JOIN recon__fuzzy_n n
                 ON n.l_id = c.l_id AND n.r_id = c.r_id
            UNION ALL
            SELECT * FROM recon__fuzzy_c c WHERE {_BY_NAME}
              AND l_id NOT IN (SELECT record_id FROM recon__ambiguous)
              AND r_id NOT IN (SELECT record_id FROM recon__ambiguous)"""),
        Step("fuzzy: matches", "INSERT INTO recon__m " + per_side(
            f"'{WF}', 'fuzzy_name', round({conf} * score / 100, 3), {{id}}, {{side}}, "
            + pair_match_id("l_id", "r_id"),
            "recon__p_fuzzy", LEFT_RIGHT)),
        claim("recon__p_fuzzy", "unnest([l_id, r_id])"),
    ]


def unmapped_account_steps() -> list[Step]:
    """Statement lines of an account missing from bank_accounts.csv: a mapping error, with the
    ERP line that carries their reference when one exists."""
    return [
        Step("unmapped account pairs", f"""
            CREATE OR REPLACE TEMP TABLE recon__p_unmapped AS
            SELECT * FROM (
            SELECT DISTINCT b.record_id AS l_id, e.record_id AS r_id, b.amount - e.amount AS diff
            FROM recon__bank b
            JOIN (SELECT record_id, ref AS key FROM recon__bank
                  WHERE ref IS NOT NULL AND unmapped_account
                  UNION SELECT record_id, gram FROM recon__grams
                  WHERE record_id IN (SELECT record_id FROM recon__bank WHERE unmapped_account)) bk
                 ON bk.record_id = b.record_id
            JOIN recon__erp_key k ON k.key = bk.key
            JOIN recon__erp e ON e.record_id = k.record_id AND NOT e.on_bank_gl
                 AND e.account_type = 'S' AND e.currency = b.currency AND e.amount IS NOT NULL
            WHERE b.unmapped_account AND {unclaimed('b')} AND {unclaimed('e')})
            QUALIFY count(*) OVER (PARTITION BY l_id) = 1
                AND count(*) OVER (PARTITION BY r_id) = 1"""),
        Step("unmapped account disputes", f"""
            INSERT INTO recon__d
            SELECT '{WF}', 'mapping_error', NULL, b.record_id, p.r_id, p.diff
            FROM recon__bank b LEFT JOIN recon__p_unmapped p ON p.l_id = b.record_id
            WHERE b.unmapped_account AND {unclaimed('b')}
            UNION ALL
            SELECT '{WF}', 'mapping_error', NULL, r_id, l_id, -diff
            FROM recon__p_unmapped"""),
        Step("claim unmapped", f"""
            INSERT INTO recon__claimed
            SELECT record_id FROM recon__bank b WHERE b.unmapped_account AND {unclaimed('b')}
            UNION SELECT r_id FROM recon__p_unmapped"""),
    ]
