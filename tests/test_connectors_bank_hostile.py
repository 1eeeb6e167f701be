"""Hostile input: every bad file is a RejectedFile naming file, record and problem, never a crash."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from connectors.bank.bai2 import Bai2Connector
from connectors.bank.camt import CamtConnector
from connectors.bank.mt940 import Mt940Connector
from connectors.base import RejectedFile

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
ENTRY = ('<Ntry><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
         "<BookgDt><Dt>2024-01-31</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef></Ntry>")


def camt(entries: str = ENTRY, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<Document xmlns="{NS}"><BkToCstmrStmt>'
            "<GrpHdr><MsgId>M</MsgId></GrpHdr><Stmt><Id>S1</Id><Acct><Id><IBAN>NL91ABNA0417164300"
            f"</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>")


MT940 = (":20:S1\n:25:NL91ABNA0417164300\n:28C:1/1\n:60F:C240130EUR100,00\n"
         ":61:2401310131C50,00NTRFNONREF//B1\n:86:Invoice 1\n:62F:C240131EUR150,00\n-\n")
BAI2 = ("01,BANK,CUST,240131,1800,F1,,,2/\n02,CUST,BANK,1,240131,2400,USD,2/\n"
        "03,12345,USD,010,100,,/\n16,195,50000,Z,B1,,Wire/\n49,50100,3/\n98,50100,1,5/\n"
        "99,50100,1,7/\n")
CONNECTORS = {"camt": CamtConnector, "mt940": Mt940Connector, "bai2": Bai2Connector}
SAMPLES = {"camt": camt(), "mt940": MT940, "bai2": BAI2}


def reject(tmp_path: Path, kind: str, data: bytes | str) -> RejectedFile:
    path = tmp_path / f"hostile.{kind}"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    with pytest.raises(RejectedFile) as err:
        CONNECTORS[kind]().read(path)
    assert err.value.path == str(path) and err.value.problem
    return err.value


@pytest.mark.parametrize("kind", CONNECTORS)
def test_samples_are_valid(tmp_path, kind):
    path = tmp_path / "ok"
    path.write_text(SAMPLES[kind])
    assert CONNECTORS[kind]().read(path).record_count() == 1


@pytest.mark.parametrize("kind", CONNECTORS)
def test_empty_file(tmp_path, kind):
    assert reject(tmp_path, kind, b"").problem == "file is empty"


@pytest.mark.parametrize("kind", CONNECTORS)
def test_missing_file(tmp_path, kind):
    with pytest.raises(RejectedFile, match="cannot read file"):
        CONNECTORS[kind]().read(tmp_path / "absent")


def test_truncated_xml(tmp_path):
    err = reject(tmp_path, "camt", camt()[:-40])
    assert "not well-formed" in err.problem and "truncated" in err.problem


def test_billion_laughs_is_refused_by_defusedxml(tmp_path):
    bomb = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    err = reject(tmp_path, "camt", camt(ENTRY.replace("R1", "&lol3;"), prolog=bomb))
    assert "defusedxml" in err.problem and "EntitiesForbidden" in err.problem


def test_external_entity_is_refused(tmp_path):
    xxe = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    err = reject(tmp_path, "camt", camt(ENTRY.replace("R1", "&x;"), prolog=xxe))
    assert "defusedxml" in err.problem


def test_bytes_in_the_wrong_encoding(tmp_path):
    err = reject(tmp_path, "camt", camt(ENTRY.replace("R1", "Müller")).encode("latin-1"))
    assert "declared encoding" in err.problem


def test_binary_garbage_is_not_xml(tmp_path):
    assert "not well-formed" in reject(tmp_path, "camt", bytes(range(256)) * 4).problem


def test_xml_that_is_not_camt(tmp_path):
    err = reject(tmp_path, "camt", '<?xml version="1.0"?><Document xmlns="urn:pain.001"><x/></Document>')
    assert err.problem.startswith("not a camt document")


def test_ten_megabyte_single_line_camt_is_read(tmp_path):
    entries = ENTRY.replace("<AcctSvcrRef>R1</AcctSvcrRef>", "") * 90_000
    path = tmp_path / "one-line.xml"
    path.write_text(camt(entries))
    assert path.stat().st_size > 10_000_000
    assert CamtConnector().read(path).record_count() == 90_000


def test_ten_megabyte_text_field_is_refused(tmp_path):
    err = reject(tmp_path, "camt", camt(ENTRY.replace("R1", "x" * 10_000_000)))
    assert "AcctSvcrRef holds 10000000 characters" in err.problem
    assert err.record == "entry 1 of statement S1"


@pytest.mark.parametrize("kind", ["mt940", "bai2"])
def test_ten_megabyte_single_line_text_formats(tmp_path, kind):
    err = reject(tmp_path, kind, SAMPLES[kind][:30] + "x" * 10_000_000 + "\n")
    assert "characters long" in err.problem


@pytest.mark.parametrize("amount", ["12,50", "-5.00", "1e3", "abc", "", "NaN", "1234567890123456789"])
def test_wrong_camt_amounts(tmp_path, amount):
    err = reject(tmp_path, "camt", camt(ENTRY.replace(">10.00<", f">{amount}<")))
    assert "Amt" in err.problem and err.record == "entry 1 of statement S1"


@pytest.mark.parametrize("broken, message", [
    (ENTRY.replace('<Amt Ccy="EUR">10.00</Amt>', ""), "Amt is missing"),
    (ENTRY.replace(' Ccy="EUR"', ""), "Amt Ccy is missing"),
    (ENTRY.replace(' Ccy="EUR"', ' Ccy="euro"'), "not a three-letter currency code"),
    (ENTRY.replace("<CdtDbtInd>CRDT</CdtDbtInd>", ""), "CdtDbtInd is missing"),
    (ENTRY.replace("CRDT", "PLUS"), "CdtDbtInd 'PLUS' is not CRDT or DBIT"),
    (ENTRY.replace("2024-01-31", "2024-02-30"), "BookgDt '2024-02-30' is not a valid date"),
])
def test_missing_or_invalid_mandatory_camt_fields(tmp_path, broken, message):
    assert message in reject(tmp_path, "camt", camt(broken)).problem


def test_camt_statement_without_account(tmp_path):
    xml = camt().replace("<Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>", "")
    assert "names no account" in reject(tmp_path, "camt", xml).problem


def test_mt940_utf16_or_binary(tmp_path):
    assert "NUL bytes" in reject(tmp_path, "mt940", MT940.encode("utf-16")).problem


def test_mt940_fragment_without_statement(tmp_path):
    assert "no MT940 statement" in reject(tmp_path, "mt940", ":60F:C100318EUR380115,12\n").problem


@pytest.mark.parametrize("broken, message", [
    (MT940.replace("C50,00NTRF", "CXYNTRF"), "has no valid date, debit/credit mark and amount"),
    (MT940.replace(":25:NL91ABNA0417164300\n", ""), "no account identification"),
])
def test_wrong_or_missing_mt940_fields(tmp_path, broken, message):
    err = reject(tmp_path, "mt940", broken)
    assert message in err.problem and err.record


def test_mt940_line_the_fields_do_not_hold_is_a_loss(tmp_path):
    """A :61: written without its colon would end up as text of the line before: the raw
    count of the file's :61: lines catches it."""
    err = reject(tmp_path, "mt940", MT940.replace(":86:", ":612401310131C9,00NTRF\n:86:"))
    assert "the file holds 2 :61: statement lines but 1 entries were read" in err.problem


@pytest.mark.parametrize("broken, message", [
    (MT940.replace(":60F:C240130EUR100,00", ":60F:C240130EUR"), "is not a valid balance"),
    (MT940.replace(":62F:C240131EUR150,00", ":62F:Dnullnull150,0"), "is not a valid balance"),
    (MT940.replace("C50,00", "C51,00"), "but closing balance is 150.00"),
])
def test_mt940_balances_that_do_not_prove_are_listed_or_strictly_rejected(tmp_path, broken,
                                                                          message):
    """The line is counted and its amount confirmed: the balance is the file's problem."""
    path = tmp_path / "statement.sta"
    path.write_text(broken)
    batch = Mt940Connector().read(path)
    assert batch.record_count() == 1 and batch.control["balance_proved"] is False
    assert any(message in p for p in batch.control["problems"])
    with pytest.raises(RejectedFile, match=re.escape(message)):
        Mt940Connector(on_balance_mismatch="reject").read(path)


@pytest.mark.parametrize("broken, message", [
    (BAI2.replace("16,195,50000", "16,195,5x000"), "not valid BAI2"),
    (BAI2.replace("49,50100,3/", "49,50101,3/"), "control total: file states 50101 but 50100"),
    (BAI2.replace("99,50100,1,7/\n", ""), "not valid BAI2"),
    (BAI2.replace("16,195,", "16,19X,"), "type code '19X' is not a number"),
    (BAI2.replace("01,BANK", "88,BANK"), "first record must be the 01 file header"),
])
def test_wrong_bai2_records(tmp_path, broken, message):
    assert message in reject(tmp_path, "bai2", broken).problem


@pytest.mark.parametrize("kind", CONNECTORS)
def test_random_damage_never_escapes_as_a_traceback(tmp_path, kind):
    """Truncations, deleted and flipped bytes: each read succeeds or raises RejectedFile."""
    rng = random.Random(20240131)
    sample = SAMPLES[kind].encode()
    path = tmp_path / "damaged"
    for _ in range(300):
        data = bytearray(sample)
        action = rng.randrange(3)
        at = rng.randrange(len(data))
        if action == 0:
            del data[at:]
        elif action == 1:
            del data[at:at + rng.randrange(1, 8)]
        else:
            data[at] = rng.randrange(256)
        path.write_bytes(bytes(data))
        try:
            CONNECTORS[kind]().read(path)
        except RejectedFile:
            pass


def test_garbage_in_the_transaction_summary(tmp_path):
    xml = camt().replace("<Ntry>", "<TxsSummry><TtlNtries><NbOfNtries>x</NbOfNtries></TtlNtries>"
                                   "</TxsSummry><Ntry>", 1)
    assert reject(tmp_path, "camt", xml).record == "statement S1"


def test_unknown_declared_encoding(tmp_path):
    xml = camt().replace('encoding="UTF-8"', 'encoding="utf-99"')
    assert "encoding" in reject(tmp_path, "camt", xml).problem


@pytest.mark.parametrize("amount, accepted", [("1.12340", True), ("1.12345", False),
                                              ("123456789012345.00", False)])
def test_amounts_the_warehouse_cannot_hold(tmp_path, amount, accepted):
    xml = camt(ENTRY.replace(">10.00<", f">{amount}<"))
    if accepted:
        path = tmp_path / "ok.xml"
        path.write_text(xml)
        assert str(CamtConnector().read(path).tables["bank_transaction"][0]["amount"]) == "1.1234"
    else:
        assert "Amt" in reject(tmp_path, "camt", xml).problem
