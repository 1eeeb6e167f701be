"""camt.053/.054 reader: versions, namespaces, batches, signs, references and statement proofs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.bank.camt import CamtConnector
from connectors.base import RejectedFile, record_key


def ns(version: str = "camt.053.001.02") -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{version}"


def balance(code: str, amount: str, indicator: str = "CRDT", day: str = "2024-01-31") -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}"
            f"</Amt><CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")


def entry(amount: str = "10.00", indicator: str = "CRDT", status: str = "<Sts>BOOK</Sts>",
          ref: str | None = "REF1", details: str = "", extra: str = "",
          value_date: str = "2024-01-31") -> str:
    ref_xml = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    dtls = f"<NtryDtls>{details}</NtryDtls>" if details else ""
    return (f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{extra}"
            f"{status}<BookgDt><Dt>2024-01-31</Dt></BookgDt><ValDt><Dt>{value_date}</Dt></ValDt>"
            f"{ref_xml}{dtls}</Ntry>")


def statement(entries: str, balances: str = "", stmt_id: str = "S1", summary: str = "",
              tag: str = "Stmt") -> str:
    return (f"<{tag}><Id>{stmt_id}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>"
            f"{balances}{summary}{entries}</{tag}>")


def document(body: str, version: str = "camt.053.001.02", message: str = "BkToCstmrStmt",
             prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns:{prefix}" if prefix else "xmlns"
    if prefix:
        body = body.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
    return (f'<?xml version="1.0" encoding="UTF-8"?><{p}Document {xmlns}="{ns(version)}">'
            f"<{p}{message}><{p}GrpHdr><{p}MsgId>M1</{p}MsgId></{p}GrpHdr>{body}"
            f"</{p}{message}></{p}Document>")


def read(tmp_path: Path, xml: str, **options) -> list[dict]:
    path = tmp_path / "statement.xml"
    path.write_text(xml, encoding="utf-8")
    return CamtConnector(**options).read(path)


def rows_of(batch) -> list[dict]:
    return batch.tables["bank_transaction"]


def proved(opening: str, closing: str, closing_indicator: str = "CRDT") -> str:
    return balance("OPBD", opening) + balance("CLBD", closing, closing_indicator)


@pytest.mark.parametrize("version", ["camt.053.001.02", "camt.053.001.04", "camt.053.001.08"])
@pytest.mark.parametrize("prefix", ["", "ns2"])
def test_reads_every_version_with_default_or_prefixed_namespace(tmp_path, version, prefix):
    xml = document(statement(entry("10.00") + entry("4.00", "DBIT", ref="REF2"),
                             proved("100.00", "106.00")), version, prefix=prefix)
    batch = read(tmp_path, xml)
    assert batch.format == version
    assert [r["amount"] for r in rows_of(batch)] == [Decimal("10.00"), Decimal("-4.00")]
    assert batch.control["statements"][0]["balance"] == "proved"


def test_document_without_namespace_is_read(tmp_path):
    xml = document(statement(entry(), proved("0", "10.00"))).replace(f' xmlns="{ns()}"', "")
    assert read(tmp_path, xml).format == "camt.053"


def test_row_fields_follow_the_canonical_contract(tmp_path):
    details = ("<TxDtls><Refs><EndToEndId>E2E-7</EndToEndId></Refs>"
               "<RltdPties><Dbtr><Nm>ACME GmbH</Nm></Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000"
               "</IBAN></Id></DbtrAcct><Cdtr><Nm>Us</Nm></Cdtr></RltdPties>"
               "<RmtInf><Ustrd>Invoice INV-1</Ustrd><Ustrd>and INV-2</Ustrd>"
               "<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>")
    batch = read(tmp_path, document(statement(entry(details=details), proved("0", "10.00"))))
    row = rows_of(batch)[0]
    assert row["record_id"] == record_key("bank", "NL91ABNA0417164300", "REF1")
    assert row["source_ref"] == "REF1" and row["acct_svcr_ref"] == "REF1"
    assert row["source_system"] == "bank" and row["source_position"] == 1
    assert row["end_to_end_id"] == row["correlation_id"] == "E2E-7"
    assert row["counterparty_name"] == "ACME GmbH"
    assert row["counterparty_account"] == "DE89370400440532013000"
    assert row["remittance_text"] == "Invoice INV-1 and INV-2"
    assert row["structured_reference"] == "RF18539007547034"
    assert row["booking_date"] == dt.date(2024, 1, 31)
    assert row["statement_id"] == "S1" and row["entry_seq"] == 1
    assert row["detail_seq"] is None and row["detail_count"] == 1
    assert row["raw"]["entry"]["amount"] == "10.00"
    for key in ("snapshot_id", "extracted_at", "connector", "source_file"):
        assert key not in row


def test_referred_document_numbers_join_the_remittance_text(tmp_path):
    """A payment run names the invoices it settles only in Strd/RfrdDocInf: their numbers must
    reach the text the reference rules search."""
    invoices = "".join(
        f"<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{nb}</Nb>"
        f"</RfrdDocInf><RfrdDocAmt><RmtdAmt Ccy=\"EUR\">5.00</RmtdAmt></RfrdDocAmt></Strd>"
        for nb in ("9020294929", "9019828963"))
    with_text = f"<TxDtls><RmtInf><Ustrd>Payment run 42</Ustrd>{invoices}</RmtInf></TxDtls>"
    only = f"<TxDtls><RmtInf>{invoices}</RmtInf></TxDtls>"
    batch = read(tmp_path, document(statement(
        entry("10.00", details=with_text) + entry("10.00", ref="REF2", details=only),
        proved("0", "20.00"))))
    assert [r["remittance_text"] for r in rows_of(batch)] == [
        "Payment run 42 9020294929 9019828963", "9020294929 9019828963"]


def test_batch_entry_is_expanded_into_its_details(tmp_path):
    details = "".join(
        f"<TxDtls><Refs><EndToEndId>E{n}</EndToEndId></Refs><Amt Ccy=\"EUR\">{a}</Amt>"
        f"<CdtDbtInd>CRDT</CdtDbtInd></TxDtls>" for n, a in ((1, "60.00"), (2, "40.00")))
    batch = read(tmp_path, document(statement(entry("100.00", details=details),
                                              proved("0", "100.00"))))
    rows = rows_of(batch)
    assert [(r["source_ref"], r["amount"], r["detail_seq"]) for r in rows] == [
        ("REF1/1", Decimal("60.00"), 1), ("REF1/2", Decimal("40.00"), 2)]
    assert {r["entry_amount"] for r in rows} == {Decimal("100.00")}
    assert {r["detail_count"] for r in rows} == {2}
    assert len({r["record_id"] for r in rows}) == 2
    assert len({r["payload_hash"] for r in rows}) == 2


def test_detail_amount_from_tx_amount_in_v02(tmp_path):
    details = "".join(f"<TxDtls><AmtDtls><TxAmt><Amt Ccy=\"EUR\">{a}</Amt></TxAmt></AmtDtls>"
                      "</TxDtls>" for a in ("3.00", "7.00"))
    batch = read(tmp_path, document(statement(entry("10.00", "DBIT", details=details),
                                              proved("10.00", "0"))))
    assert [r["amount"] for r in rows_of(batch)] == [Decimal("-3.00"), Decimal("-7.00")]


def test_single_detail_without_amount_takes_the_entry_amount(tmp_path):
    details = "<TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls>"
    batch = read(tmp_path, document(statement(entry("12.50", details=details),
                                              proved("0", "12.50"))))
    row = rows_of(batch)[0]
    assert row["amount"] == Decimal("12.50") and row["detail_seq"] is None
    assert row["end_to_end_id"] is None and row["correlation_id"] is None


def test_batch_whose_details_lack_amounts_stays_one_row(tmp_path):
    details = "<TxDtls><RmtInf><Ustrd>A</Ustrd></RmtInf></TxDtls>" * 2
    batch = read(tmp_path, document(statement(entry("10.00", details=details),
                                              proved("0", "10.00"))))
    (row,) = rows_of(batch)
    assert row["detail_count"] == 2 and row["detail_seq"] is None
    assert row["source_ref"] == "REF1" and row["remittance_text"] == "A A"


def test_batch_that_does_not_add_up_is_counted(tmp_path):
    details = "<TxDtls><Amt Ccy=\"EUR\">1.00</Amt></TxDtls>" * 2
    batch = read(tmp_path, document(statement(entry("10.00", details=details),
                                              proved("0", "10.00"))))
    assert batch.control["batches_not_adding_up"] == 1


def test_reversal_of_a_credit_is_negative_and_names_the_original_debtor(tmp_path):
    details = ("<TxDtls><RltdPties><Dbtr><Nm>Payer</Nm></Dbtr><Cdtr><Nm>Us</Nm></Cdtr>"
               "</RltdPties></TxDtls>")
    xml = document(statement(entry("5.00", "DBIT", extra="<RvslInd>true</RvslInd>",
                                   details=details), proved("5.00", "0")))
    row = rows_of(read(tmp_path, xml))[0]
    assert row["amount"] == Decimal("-5.00") and row["is_reversal"] is True
    assert row["counterparty_name"] == "Payer"


def test_v08_party_wrapper_status_code_and_datetime_booking(tmp_path):
    details = ("<TxDtls><RltdPties><Cdtr><Pty><Nm>Supplier BV</Nm></Pty></Cdtr></RltdPties>"
               "</TxDtls>")
    ntry = (entry("7.00", "DBIT", status="<Sts><Cd>BOOK</Cd></Sts>", details=details)
            .replace("<BookgDt><Dt>2024-01-31</Dt>", "<BookgDt><DtTm>2024-01-30T23:10:00+01:00</DtTm>")
            .replace("</Dt></BookgDt>", "</DtTm></BookgDt>"))
    row = rows_of(read(tmp_path, document(statement(ntry, proved("7.00", "0")),
                                          "camt.053.001.08")))[0]
    assert row["counterparty_name"] == "Supplier BV"
    assert row["booking_date"] == dt.date(2024, 1, 30)
    assert row["value_date"] == dt.date(2024, 1, 31)


def test_pending_entries_do_not_move_the_booked_balance(tmp_path):
    xml = document(statement(entry("10.00") + entry("99.00", status="<Sts>PDNG</Sts>", ref="P"),
                             proved("0", "10.00")))
    rows = rows_of(read(tmp_path, xml))
    assert [r["status"] for r in rows] == ["booked", "pending"]


def test_instructed_amount_exchange_rate_and_charges(tmp_path):
    details = ("<TxDtls><AmtDtls><InstdAmt><Amt Ccy=\"USD\">110.00</Amt><CcyXchg>"
               "<SrcCcy>USD</SrcCcy><TrgtCcy>EUR</TrgtCcy><XchgRate>0.9090909091</XchgRate>"
               "</CcyXchg></InstdAmt></AmtDtls><Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">2.50"
               "</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy=\"EUR\">2.50</Amt></Rcrd></Chrgs></TxDtls>")
    row = rows_of(read(tmp_path, document(statement(entry("100.00", details=details),
                                                    proved("0", "100.00")))))[0]
    assert row["instructed_amount"] == Decimal("110.00") and row["instructed_currency"] == "USD"
    assert row["exchange_rate"] == Decimal("0.9090909091")
    assert row["charges_amount"] == Decimal("2.50")


def test_v02_repeated_charges_are_summed(tmp_path):
    charges = "<Chrgs><Amt Ccy=\"EUR\">1.00</Amt></Chrgs><Chrgs><Amt Ccy=\"EUR\">0.50</Amt></Chrgs>"
    row = rows_of(read(tmp_path, document(statement(entry("10.00", extra="", details="").replace(
        "</ValDt>", "</ValDt>" + charges), proved("0", "10.00")))))[0]
    assert row["charges_amount"] == Decimal("1.50")


def test_balance_mismatch_is_listed_when_every_entry_is_counted(tmp_path):
    """The default policy: the <Ntry> count proves nothing was lost, so a closing balance that
    does not add up is the file's own inconsistency, accepted and listed with the figures."""
    xml = document(statement(entry("50.00"), proved("100.00", "140.00"), "2016-05-31-001"))
    batch = read(tmp_path, xml)
    problem = ("statement 2016-05-31-001: opening 100.00 + movements 50.00 = 150.00 but closing "
               "balance is 140.00")
    assert batch.record_count() == 1
    assert batch.control["problems"] == [problem]
    assert batch.control["balance_proved"] is False
    assert batch.control["entries_counted"] == "1 <Ntry> elements"
    assert batch.control["statements"][0]["balance"] == "MISMATCH: " + problem


def test_balance_mismatch_is_rejected_with_the_figures_when_strict(tmp_path):
    xml = document(statement(entry("50.00"), proved("100.00", "140.00"), "2016-05-31-001"))
    with pytest.raises(RejectedFile) as err:
        read(tmp_path, xml, on_balance_mismatch="reject")
    assert err.value.problem == ("statement 2016-05-31-001: opening 100.00 + movements 50.00 = "
                                 "150.00 but closing balance is 140.00")
    assert err.value.record == "statement 2016-05-31-001"


def test_balance_mismatch_can_be_flagged_instead(tmp_path):
    xml = document(statement(entry("50.00"), proved("100.00", "140.00")))
    batch = read(tmp_path, xml, on_balance_mismatch="flag")
    assert batch.record_count() == 1
    assert batch.control["statements"][0]["balance"].startswith("MISMATCH: statement S1")
    assert len(batch.control["problems"]) == 1


def test_entries_the_reader_does_not_reach_reject_the_file(tmp_path):
    """An <Ntry> outside a statement is not read: the raw count catches it."""
    stray = entry("1.00", ref="STRAY")
    xml = document(statement(entry(), proved("0", "10.00"))).replace("</BkToCstmrStmt>",
                                                                      stray + "</BkToCstmrStmt>")
    with pytest.raises(RejectedFile, match="holds 2 <Ntry> elements but 1 entries were read"):
        read(tmp_path, xml)


def test_entries_in_comments_and_other_prefixes_are_counted_exactly(tmp_path):
    xml = document(statement(entry(), proved("0", "10.00")), prefix="ns2").replace(
        "<ns2:Ntry>", "<!-- <Ntry>example</Ntry> --><ns2:Ntry>", 1)
    batch = read(tmp_path, xml)
    assert batch.record_count() == 1 and batch.control["entries_counted"] == "1 <Ntry> elements"


def test_statement_without_balances_is_accepted_and_says_so(tmp_path):
    batch = read(tmp_path, document(statement(entry())))
    assert batch.control["statements"][0]["balance"] == (
        "not provable: no opening and closing balance")
    assert batch.control["problems"] == [
        "statement S1: no opening and closing balance, so its balance cannot be proved"]
    assert batch.control["balance_proved"] is False


def test_proved_file_says_so(tmp_path):
    batch = read(tmp_path, document(statement(entry(), proved("0", "10.00"))))
    assert batch.control["balance_proved"] is True and batch.control["problems"] == []


def test_previously_closed_balance_opens_when_opbd_is_absent(tmp_path):
    xml = document(statement(entry("5.00"), balance("PRCD", "1.00") + balance("CLBD", "6.00")))
    assert read(tmp_path, xml).control["statements"][0]["balance"] == "proved"


def test_closing_balance_on_value_dates_is_proved_and_explained(tmp_path):
    entries = entry("5.00") + entry("3.00", ref="LATER", value_date="2024-02-01")
    xml = document(statement(entries, proved("0", "5.00")))
    outcome = read(tmp_path, xml).control["statements"][0]["balance"]
    assert outcome.startswith("proved on value dates: entries valued after 2024-01-31 (3.00)")


def test_debit_closing_balance_is_negative(tmp_path):
    xml = document(statement(entry("15.00", "DBIT"), proved("10.00", "5.00", "DBIT")))
    assert read(tmp_path, xml).control["statements"][0]["closing"] == "-5.00"


def test_transaction_summary_counts_are_checked(tmp_path):
    summary = ("<TxsSummry><TtlNtries><NbOfNtries>3</NbOfNtries></TtlNtries>"
               "<TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>10.00</Sum></TtlCdtNtries>"
               "</TxsSummry>")
    with pytest.raises(RejectedFile, match="TtlNtries/NbOfNtries: file states 3 but 1 were read"):
        read(tmp_path, document(statement(entry(), proved("0", "10.00"), summary=summary)))


def test_transaction_summary_that_matches_is_recorded(tmp_path):
    summary = ("<TxsSummry><TtlNtries><NbOfNtries>2</NbOfNtries><Sum>14.00</Sum></TtlNtries>"
               "<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>4.00</Sum></TtlDbtNtries></TxsSummry>")
    xml = document(statement(entry() + entry("4.00", "DBIT", ref="R2"), proved("0", "6.00"),
                             summary=summary))
    checks = read(tmp_path, xml).control["statements"][0]["checks"]
    assert "TtlNtries/NbOfNtries = 2" in checks and "TtlDbtNtries/Sum = 4.00" in checks


def test_transaction_summary_of_booked_entries_only_is_proved_against_those(tmp_path):
    """Some banks leave pending entries out of TxsSummry: the statement is read, not rejected;
    a count that fits neither reading still rejects it."""
    summary = ("<TxsSummry><TtlNtries><NbOfNtries>1</NbOfNtries><Sum>10.00</Sum></TtlNtries>"
               "<TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>10.00</Sum></TtlCdtNtries></TxsSummry>")
    pending = entry("4.00", status="<Sts>PDNG</Sts>", ref="R2")
    xml = document(statement(entry() + pending, proved("0", "10.00"), summary=summary))
    checks = read(tmp_path, xml).control["statements"][0]["checks"]
    assert "TxsSummry counts booked entries only" in checks
    assert "TtlCdtNtries/Sum = 10.00" in checks
    wrong = summary.replace("<NbOfNtries>1</NbOfNtries><Sum>10.00</Sum></TtlNtries>",
                            "<NbOfNtries>3</NbOfNtries><Sum>10.00</Sum></TtlNtries>")
    with pytest.raises(RejectedFile, match="file states 3 but 2 were read"):
        read(tmp_path, document(statement(entry() + pending, proved("0", "10.00"),
                                          summary=wrong)))


def test_notification_cannot_be_balance_proved_and_says_so(tmp_path):
    xml = document(statement(entry(), tag="Ntfctn"), "camt.054.001.04",
                   message="BkToCstmrDbtCdtNtfctn")
    batch = read(tmp_path, xml)
    assert batch.format == "camt.054.001.04" and batch.record_count() == 1
    assert batch.control["statements"][0]["balance"] == (
        "not provable: a notification carries no balances")
    assert batch.control["balance_proved"] is None and batch.control["problems"] == []


def test_several_statements_and_shared_references(tmp_path):
    body = (statement(entry("1.00", ref="DUP") + entry("2.00", ref="DUP"), proved("0", "3.00"),
                      "A") + statement(entry("4.00", ref="OWN"), proved("3.00", "7.00"), "B"))
    batch = read(tmp_path, document(body))
    assert [r["source_ref"] for r in rows_of(batch)] == ["A#1", "A#2", "OWN"]
    assert batch.control["ambiguous_references"] == ["DUP"]
    assert [r["source_position"] for r in rows_of(batch)] == [1, 2, 3]


def test_entry_without_reference_uses_statement_and_sequence(tmp_path):
    row = rows_of(read(tmp_path, document(statement(entry(ref=None), proved("0", "10.00")))))[0]
    assert row["source_ref"] == "S1#1" and row["acct_svcr_ref"] is None


def test_account_given_as_other_id(tmp_path):
    xml = document(statement(entry(), proved("0", "10.00")).replace(
        "<IBAN>NL91ABNA0417164300</IBAN>", "<Othr><Id>0123456789</Id></Othr>"))
    assert rows_of(read(tmp_path, xml))[0]["account"] == "0123456789"


def test_document_without_statement_is_rejected(tmp_path):
    with pytest.raises(RejectedFile, match="holds no statement"):
        read(tmp_path, document(""))


def test_unknown_status_is_rejected_naming_the_entry(tmp_path):
    xml = document(statement(entry(status="<Sts>WHAT</Sts>"), proved("0", "10.00")))
    with pytest.raises(RejectedFile) as err:
        read(tmp_path, xml)
    assert "status 'WHAT'" in err.value.problem and err.value.record == "entry 1 of statement S1"


@pytest.mark.parametrize("head, expected", [
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">', True),
    (b"<Document><BkToCstmrDbtCdtNtfctn>", True),
    (b":20:REF\n:25:NL91", False),
    (b"01,1234,5678,240101,0000,1,,,2/", False),
])
def test_sniff_recognises_camt_by_content(head, expected):
    assert CamtConnector().sniff(head, Path("whatever.txt")) is expected


@pytest.mark.parametrize("chunk", [1, 5, 7, 64, 1 << 16])
@pytest.mark.parametrize("prefix", ["", "ns2"])
def test_raw_entry_count_is_exact_across_chunk_boundaries(prefix, chunk):
    from connectors.bank.camt_xml import NtryCounter

    entries = "".join(entry(ref=f"R{n}") for n in range(5))
    data = document(statement(entries), prefix=prefix).encode()
    counter = NtryCounter()
    for at in range(0, len(data), chunk):
        counter.feed(data[at:at + chunk])
    assert counter.count == 5


def test_document_with_a_dtd_goes_through_defusedxml(tmp_path):
    from connectors.bank.camt_xml import CamtStream

    xml = document(statement(entry(), proved("0", "10.00"))).replace(
        "?>", "?><!DOCTYPE Document>", 1)
    path = tmp_path / "dtd.xml"
    path.write_text(xml)
    stream = CamtStream(lambda statement, element: None, lambda statement: None)
    stream.run(path)
    assert stream.defused is True and stream.ntry.count == 1
    assert read(tmp_path, xml).record_count() == 1
    path.write_text(document(statement(entry(), proved("0", "10.00"))))
    stream = CamtStream(lambda statement, element: None, lambda statement: None)
    stream.run(path)
    assert stream.defused is False
