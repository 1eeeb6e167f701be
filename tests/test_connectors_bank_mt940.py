"""MT940 reader: dialects, signs, :86: layouts, independent line counts and statement proofs."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from mt940 import parse as mt940_parse

from connectors.bank import mt940_lines
from connectors.bank.mt940 import Mt940Connector, _raw_61
from connectors.bank.mt940_text import cut, joined, line_61, render, statements
from connectors.bank.values import BadValue, decode_text
from connectors.base import RejectedFile, record_key


def mt940(lines: str, opening: str = "C240130EUR100,00", closing: str = "C240131EUR150,00",
          header: str = ":20:STMT1\n:25:NL91ABNA0417164300\n:28C:12/1\n") -> str:
    return f"{header}:60F:{opening}\n{lines}:62F:{closing}\n-\n"


def read(tmp_path: Path, text: str, encoding: str = "utf-8", **options):
    path = tmp_path / "statement.sta"
    path.write_bytes(text.encode(encoding))
    return Mt940Connector(**options).read(path)


def rows_of(batch) -> list[dict]:
    return batch.tables["bank_transaction"]


def test_statement_is_read_and_proved(tmp_path):
    text = mt940(":61:2401310131C60,00NTRFNONREF//B0001\n:86:Invoice 4711\n"
                 ":61:2401310131D10,00NCHGNONREF//B0002\n:86:Fee\n")
    batch = read(tmp_path, text)
    rows = rows_of(batch)
    assert [r["amount"] for r in rows] == [Decimal("60.00"), Decimal("-10.00")]
    assert rows[0]["source_ref"] == rows[0]["acct_svcr_ref"] == "B0001"
    assert rows[0]["record_id"] == record_key("bank", "NL91ABNA0417164300", "B0001")
    assert rows[0]["account"] == "NL91ABNA0417164300"
    assert rows[0]["statement_id"] == "STMT1/12/1/2024-01-31"
    assert rows[0]["value_date"] == rows[0]["booking_date"] == dt.date(2024, 1, 31)
    assert type(rows[0]["value_date"]) is dt.date
    assert rows[0]["remittance_text"] == "Invoice 4711"
    assert rows[0]["bank_tx_code"] == "NTRF"
    assert batch.control["statements"][0]["balance"] == "proved"


def test_reversal_of_a_credit_is_negative(tmp_path):
    text = mt940(":61:2401310131RC50,00NTRFNONREF//X\n:61:2401310131RD100,00NTRFNONREF//Y\n",
                 closing="C240131EUR150,00")
    rows = rows_of(read(tmp_path, text))
    assert [(r["amount"], r["is_reversal"]) for r in rows] == [
        (Decimal("-50.00"), True), (Decimal("100.00"), True)]


def test_balance_mismatch_is_listed_with_figures(tmp_path):
    """Every :61: line is counted in the raw text and its amount read twice, so a closing
    balance that does not add up is the file's inconsistency: listed, not rejected."""
    text = mt940(":61:2401310131C60,00NTRFNONREF//B1\n", closing="C240131EUR150,00")
    batch = read(tmp_path, text)
    problem = ("statement STMT1/12/1/2024-01-31: opening 100.00 + movements 60.00 = 160.00 but "
               "closing balance is 150.00")
    assert batch.control["problems"] == [problem]
    assert batch.control["balance_proved"] is False
    assert batch.control["entries_counted"] == "1 :61: statement lines"


def test_balance_mismatch_is_rejected_with_figures_when_strict(tmp_path):
    text = mt940(":61:2401310131C60,00NTRFNONREF//B1\n", closing="C240131EUR150,00")
    with pytest.raises(RejectedFile) as err:
        read(tmp_path, text, on_balance_mismatch="reject")
    assert err.value.problem == ("statement STMT1/12/1/2024-01-31: opening 100.00 + movements "
                                 "60.00 = 160.00 but closing balance is 150.00")


def test_missing_closing_balance_is_read_and_reported(tmp_path):
    """A truncated statement: its lines are read, its balance is not provable, and it says so."""
    text = ":20:S\n:25:ACC\n:28C:1\n:60F:C240130EUR1,00\n:61:2401310131C1,00NTRFNONREF\n"
    batch = read(tmp_path, text)
    assert batch.record_count() == 1 and batch.control["balance_proved"] is False
    assert batch.control["statements"][0]["balance"] == "not provable: no closing balance"
    assert batch.control["problems"] == [
        "statement S/1: no closing balance, so its balance cannot be proved"]
    with pytest.raises(RejectedFile, match="no closing balance"):
        read(tmp_path, text, on_balance_mismatch="reject")


def test_closing_balance_without_currency_takes_the_opening_one(tmp_path):
    batch = read(tmp_path, mt940(":61:2401310131C50,00NTRFNONREF\n", closing="C240131150,00"))
    assert batch.control["statements"][0]["balance"] == "proved"
    assert batch.control["problems"] == [
        "statement STMT1/12/1/2024-01-31: closing balance :62F:C240131150,00 states no currency: "
        "read in EUR, the currency of the statement's other balance"]


def test_unreadable_forward_balance_is_ignored_with_a_note(tmp_path):
    text = mt940(":61:2401310131C50,00NTRFNONREF\n").replace("-\n", ":65:Dnullnull7414,3\n-\n")
    batch = read(tmp_path, text)
    assert batch.control["statements"][0]["balance"] == "proved"
    assert batch.control["balance_proved"] is True
    assert "forward available balance :65:Dnullnull7414,3 is not a valid balance" in (
        batch.control["problems"][0])


def test_balance_tag_without_its_colon_is_read_as_that_balance(tmp_path):
    text = mt940(":61:2401310131C50,00NTRFNONREF\n:86:x\n").replace(":62F:", ":62F")
    batch = read(tmp_path, text)
    assert batch.control["statements"][0]["balance"] == "proved"
    assert batch.control["problems"] == [
        "statement STMT1/12/1/2024-01-31: line 7: ':62FC240131EUR150,00' lacks the colon after "
        "its tag: read as :62F:"]
    assert batch.tables["bank_transaction"][0]["remittance_text"] == "x"


def test_amount_the_library_misreads_is_caught(tmp_path, monkeypatch):
    from connectors.bank import mt940_rows

    real = mt940_rows.StatementRows._row

    def misread(self, *args):
        row = real(self, *args)
        row["amount"] *= 10
        return row

    monkeypatch.setattr(mt940_rows.StatementRows, "_row", misread)
    with pytest.raises(RejectedFile, match="mt-940 read 500.00 but the line says '50,00'"):
        read(tmp_path, mt940(":61:2401310131C50,00NTRFNONREF\n"))


def test_swift_envelopes_and_hard_wrapped_fields(tmp_path):
    text = ("{1:F01INGBNL2AXXXX0000000000}\n{2:I940INGBNL2AXXXXN}\n{4:\n:20:P1\n"
            ":25:NL77INGB0574908765EUR\n:28C:0000\n0\n:60F:C140219EUR662,23\n"
            ":61:1402200220C1,56NTRFEREF//00000000001\n005\n/TRCD/00100/\n"
            ":86:/EREF/EV12341REP1231456T1234//CNTP/NL32INGB0000012345/INGBNL2A/ING BANK NV INZAKE\n"
            " WEB///REMI/USTD//EV10001REP1000000T1000/\n:62F:C140220EUR663,79\n-}\n")
    row = rows_of(read(tmp_path, text))[0]
    assert row["acct_svcr_ref"] == "00000000001005"
    assert row["raw"]["extra_details"] == "/TRCD/00100/"
    assert row["end_to_end_id"] == "EV12341REP1231456T1234"
    assert row["counterparty_account"] == "NL32INGB0000012345"
    assert row["statement_id"] == "P1/00000/2014-02-20"


def test_german_structured_details_with_continuation_lines(tmp_path):
    text = mt940(
        ":61:2401310131CR50,00NTRFNONREF//0724710333343453\n"
        ":86:166?00GUTSCHRIFT?100399?20EREF+E2E-2024-0000?21001?22\n"
        "SVWZ+Rechnung RE-2024-00\n815 Danke?30DRESDEFF508?31DE1450880\n0500194785000?32KARL?33 KAUFMANN\n",
        closing="C240131EUR150,00")
    row = rows_of(read(tmp_path, text))[0]
    assert row["end_to_end_id"] == "E2E-2024-0000001"
    assert "RE-2024-00815" in row["remittance_text"]
    assert row["counterparty_account"] == "DE14508800500194785000"
    assert row["counterparty_name"] == "KARL KAUFMANN"
    assert row["raw"]["parsed_86"]["remittance"] == "Rechnung RE-2024-00815 Danke"
    # the purpose lines without their ?2x codes: a reference cut at ?21/?22 reads whole
    assert row["remittance_text"] == "EREF+E2E-2024-0000001SVWZ+Rechnung RE-2024-00815 Danke"
    assert row["raw"]["info_86"].startswith("166?00GUTSCHRIFT?100399?20EREF+")


def test_asn_dialect_with_counter_iban_in_the_statement_line(tmp_path):
    text = mt940(":61:2001020102D2000,00NOVBNL29INGB0006475121\nj blom\n"
                 ":86:NL29INGB0006475121 j blom\n" + " " * 65 + "\nSalaris december 2019\n",
                 opening="C200102EUR2050,00", closing="C200102EUR50,00")
    batch = read(tmp_path, text)
    row = rows_of(batch)[0]
    assert batch.control["dialects"] == ["ASN"]
    assert row["amount"] == Decimal("-2000.00")
    assert row["counterparty_account"] == "NL29INGB0006475121"
    assert row["counterparty_name"] == "j blom"
    assert row["remittance_text"] == "NL29INGB0006475121 j blom Salaris december 2019"


def test_rabobank_2003_dotted_decimals_are_read_not_lost(tmp_path):
    text = (":940:\n:20:940A030108\n:25:1017.490.554EUR\n:28:00000/00\n"
            ":60F:C030107EUR000000020000.00\n:61:030109C000000000300.50NMSC170059286\n"
            ":86:Demo\n:61:030109C000000000200.00NMSCNONREF\n:62F:C030108EUR000000020500.50\n")
    rows = rows_of(read(tmp_path, text))
    assert [r["amount"] for r in rows] == [Decimal("300.50"), Decimal("200.00")]


def test_statement_lines_without_type_are_not_merged(tmp_path):
    text = mt940(":61:2011301130CN20,00//1923978\n:86:A\n:61:2011301130DN10,00//1923979\n",
                 opening="C201129NGN0,00", closing="C201130NGN10,00")
    rows = rows_of(read(tmp_path, text))
    assert [(r["amount"], r["bank_tx_code"]) for r in rows] == [
        (Decimal("20.00"), None), (Decimal("-10.00"), None)]


def test_mt942_is_not_balance_proved_but_its_sums_are(tmp_path):
    text = (":20:ST1\n:25:PL29114010810000267002001002\n:28C:1/1\n:34F:PLN0\n:13D:1701191815+0100\n"
            ":61:1701190119CN0,01NTRFNONREF//MB1\n:61:1701190119CN0,02NTRFNONREF//MB2\n"
            ":90D:0PLN0,00\n:90C:2PLN0,03\n-\n")
    batch = read(tmp_path, text)
    assert batch.control["message"] == "MT942"
    assert {r["status"] for r in rows_of(batch)} == {"pending"}
    summary = batch.control["statements"][0]
    assert summary["balance"].startswith("not provable")
    assert ":90C: number of entries = 2" in summary["checks"]


def test_wrong_sum_in_trailer_is_listed_when_the_count_agrees(tmp_path):
    """:90D: says one entry summing 2.30; the one line counted says 0,42 and is read as 0.42."""
    text = (":20:ST1\n:25:ACC\n:28C:1/1\n:34F:EURD0,00\n:61:1610301031D0,42MCI0NONREF//B1\n"
            ":90D:1EUR2,30\n")
    batch = read(tmp_path, text)
    assert batch.control["message"] == "MT942" and batch.control["balance_proved"] is False
    assert batch.control["problems"] == [
        "statement ST1/1/1: :90D: sum of entries: file states 2.30 but the 1 entries read add "
        "up to 0.42"]
    with pytest.raises(RejectedFile, match=r":90D: sum of entries: file states 2.30"):
        read(tmp_path, text, on_balance_mismatch="reject")


def test_wrong_count_in_trailer_rejects(tmp_path):
    text = (":20:ST1\n:25:ACC\n:28C:1/1\n:34F:EURD0,00\n:61:1610301031D0,42MCI0NONREF//B1\n"
            ":90D:2EUR0,42\n")
    with pytest.raises(RejectedFile, match=r":90D: number of entries: file states 2 but 1"):
        read(tmp_path, text)


def test_field_after_the_statement_end_is_reported_not_read(tmp_path):
    text = mt940(":61:2401310131C50,00NTRFNONREF//B1\n") + ":61:2401310131C9,00NTRFNONREF\n"
    batch = read(tmp_path, text)
    assert batch.record_count() == 1
    assert batch.control["entries_counted"] == "2 :61: statement lines"
    assert batch.control["problems"] == [
        "line 8: :61:2401310131C9,00NTRFNONREF is outside any statement (after the '-' that "
        "ends one and before the next :20:): not read"]
    with pytest.raises(RejectedFile, match="outside any statement"):
        read(tmp_path, text, on_balance_mismatch="reject")


def test_statement_level_info_after_closing_balance_is_not_a_transaction_detail(tmp_path):
    text = mt940(":61:2401310131C50,00NTRFNONREF//B1\n:86:Payment\n").replace(
        "-\n", ":86:BANK NAME PLC\n-\n")
    assert rows_of(read(tmp_path, text))[0]["remittance_text"] == "Payment"


def test_windows_1252_file_is_read(tmp_path):
    text = mt940(":61:2401310131C50,00NTRFNONREF//B1\n:86:Überweisung Müller\n")
    row = rows_of(read(tmp_path, text, encoding="cp1252"))[0]
    assert row["remittance_text"] == "Überweisung Müller"


def test_segmentation_counts_statement_lines_independently():
    found = statements(mt940(":61:2401310131C1,00NTRFNONREF\n:86:a\n-\nb\n:61:2401310131C1,"
                             "00NTRFNONREF\n"))
    assert len(found) == 1 and len(found[0].all("61")) == 2
    assert found[0].transactions()[0][1][0].lines == ["a", "-", "b"]


@pytest.mark.parametrize("head, expected", [
    (b":20:STARTUMS\r\n:25:12345678/1020304050\r\n", True),
    (b"{1:F01ASNBNL21XXXX0000000000}{2:O940ASNBNL21XXXXN}{3:}{4:\n:20:0000000000\n:25:NL53", True),
    (b":940:\n:20:940A030107\n:25:0800003200000001610722 EUR\n", True),
    (b":60F:C100318EUR380115,12\n", False),
    (b'<?xml version="1.0"?><Document>', False),
])
def test_sniff_recognises_mt940_by_content(head, expected):
    assert Mt940Connector().sniff(head, Path("x.xml")) is expected


# The standard dialect read line by line (connectors.bank.mt940_lines) must give exactly what
# mt-940 gives for the whole statement, and decline whatever it cannot be sure of.

CORPUS = Path(os.environ.get("RECON_CORPUS",
                             Path(__file__).resolve().parents[2] / "shared" / "corpus")) / "mt940"
LINE_KEYS = ("status", "funds_code", "amount", "currency", "id", "customer_reference",
             "bank_reference", "extra_details", "date", "entry_date")


def corpus_statements() -> list:
    found = []
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        try:
            found.extend(cut(decode_text(path.read_bytes()))[0])
        except BadValue:
            continue
    return found


def rendered(statement) -> list[tuple[str, str]]:
    return render(statement, [line_61(line) for line, _ in statement.transactions()])


#: Parts of a :61: line, with the shapes on which the plain pattern and the library's could
#: disagree: Unicode digits, February 30, blank entry dates, lowercase marks, funds codes,
#: 15-digit amounts, no type, ``/`` in references, long references, supplementary details.
LINE_PARTS = (
    ("240131", "240229", "240230", "٢٤0131"), ("0131", "", "0101", "1231", "    ", "01"),
    ("C", "D", "RC", "RD", "c", "CR", "DD"), ("", "", "\n", " "),
    ("1,00", "0,00", "123456789012,34", "1234567890123,45", "1,", ",5", "1.00"),
    ("NTRF", "NTRF", "", "N123", "ntrf", "S0 1"),
    ("NONREF", "", "PAY-DE01-0000042", "PAY-DE01-00000421", "A//B", "/A/", "x y"),
    ("//B0001", "", "//" + "9" * 23, "//" + "9" * 24, "///x", "//a/b"),
    ("", "", "\n/TRCD/00100/", " more"))


def generated_lines(count: int = 5000) -> list[str]:
    """Plain lines with, each part by chance, an odd shape instead."""
    rng = random.Random(61)
    return ["".join(rng.choice(part) if rng.random() < 0.3 else part[0] for part in LINE_PARTS)
            for _ in range(count)]


def test_plain_pattern_takes_lines_apart_as_the_library_pattern():
    corpus = [value for st in corpus_statements() for tag, value in rendered(st) if tag == "61"]
    plain = 0
    for value in corpus + generated_lines():
        if mt940_lines._PLAIN(value) is None:
            continue
        plain += 1
        library = mt940_lines._MATCH(value)
        assert library is not None, value
        assert mt940_lines._groups(value) == library.group(*mt940_lines._GROUPS), value
    assert plain > 500


def library_reading(fields: list[tuple[str, str]]) -> mt940_lines.Parsed | None:
    try:
        parsed = mt940_parse(joined(fields), options=mt940_lines.OPTIONS)
    except Exception:  # noqa: BLE001 (mt-940's errors are untyped)
        return None
    if len(parsed) != sum(tag == "61" for tag, _ in fields):
        return None
    return mt940_lines.Parsed.of(parsed)


def assert_same_reading(fields: list[tuple[str, str]]) -> bool:
    """Whether the line-by-line reading was taken; if so, it must be the library's."""
    fast = mt940_lines.standard(fields)
    if fast is None:
        return False
    library = library_reading(fields)
    assert library is not None, fields
    assert [[line[k] for k in LINE_KEYS] for line in fast.lines] == [
        [line.get(k) for k in LINE_KEYS] for line in library.lines]
    assert [type(line[k]) for line in fast.lines for k in LINE_KEYS] == [
        type(line.get(k)) for line in library.lines for k in LINE_KEYS]
    assert fast.currency == library.currency
    assert {k: str(v) for k, v in fast.data.items()} == {
        k: str(v) for k, v in library.data.items()}
    return True


@pytest.mark.skipif(not CORPUS.is_dir(), reason="bank sample corpus not found")
def test_line_by_line_reading_is_the_library_reading_on_every_corpus_statement():
    taken = [assert_same_reading(rendered(st)) for st in corpus_statements()]
    assert sum(taken) > 0.9 * len(taken)


def test_line_by_line_reading_is_the_library_reading_on_odd_lines():
    taken = [assert_same_reading([("20", "S"), ("60F", "C240130EUR100,00"), ("61", line),
                                  ("61", "2401310131D1,00NTRFNONREF"), ("62F", "C240131EUR1,00")])
             for line in generated_lines(2000)]
    assert sum(taken) > 100


@pytest.mark.parametrize("fields", [
    [("61", "2401310131C1,00//B1"), ("61", "2401310131C1,00NTRF")],  # no type: merged
    [("61", "2401310131C1,00NTRF\n:X")],  # a continuation the library could take for a tag
    [("61", "2401310131C1,00NTRF\n-")],  # a line the library drops
    [("61", "2401310131C1,00NTRF"), ("99", "x")],  # a tag the library glues to the line
    [("61", "2401310131C1,00NTRF"), ("62M", "C240131USD1,00"), ("61", "2401310131C1,00NTRF")],
    [("61", "2401300230C1,00NTRF")],  # February 30: the library raises
])
def test_line_by_line_reading_leaves_what_it_cannot_be_sure_of_to_the_library(fields):
    statement = [("20", "S"), ("60F", "C240130EUR100,00"), *fields, ("62F", "C240131EUR1,00")]
    assert mt940_lines.standard(statement) is None


def test_raw_count_finds_every_line_starting_with_61():
    """The independent count: ``:61:`` at a line start or after ``{4:``, its colon possibly
    missing, whatever the cutter makes of it (two fast patterns, one plain definition)."""
    definition = re.compile(r"(?m)(?:^|\{4:)[ \t]*:61(?::|(?=\d))")
    texts = [":61:x", ":612401", "{4::61:x", "{4:\n:61:x", " \t:61:x", ":61x", "x:61:",
             "a\r\n:61:\r\n:61:", "{1:F01}{4: :61:1\n:61:2}", "\n\n:61:\n{4:\t:61:"]
    texts += [decode_text(p.read_bytes()) for p in sorted(CORPUS.rglob("*")) if p.is_file()]
    for text in texts:
        assert _raw_61(text) == len(definition.findall(text)), text[:60]
