""":86: reading: continuation lines joined so split references are found, three layouts parsed."""

from __future__ import annotations

import pytest

from connectors.bank.remittance import join_lines, parse


def test_structured_lines_are_joined_without_a_separator():
    lines = ["166?00GUTSCHRIFT?20EREF+RE-2024-0", "0815?21SVWZ+Miete"]
    assert join_lines(lines) == "166?00GUTSCHRIFT?20EREF+RE-2024-00815?21SVWZ+Miete"


def test_full_width_line_is_a_hard_wrap():
    first = "Betaling factuur 2024-000" + "x" * 36  # 61 characters + ':86:' = 65
    assert join_lines([first, "123 dank"]) == first + "123 dank"


def test_short_or_padded_lines_are_words():
    assert join_lines(["NL29INGB0006475121 j blom" + " " * 40, " " * 65, "Salaris"]) == (
        "NL29INGB0006475121 j blom Salaris")
    assert join_lines(["Demo gebruiker", "Spaarpot kantine"]) == "Demo gebruiker Spaarpot kantine"


def test_german_layout():
    info = parse("166?00GUTSCHRIFT?100399?20EREF+E2E 1?21SVWZ+Rechnung 4?2211 Danke"
                 "?30DRESDEFF508?31DE14508800500194785000?32KARL?33 KAUFMANN?34901")
    assert info["layout"] == "gvc" and info["gvc"] == "166"
    assert info["posting_text"] == "GUTSCHRIFT" and info["prima_nota"] == "0399"
    assert info["end_to_end_id"] == "E2E 1" and info["remittance"] == "Rechnung 411 Danke"
    assert info["counterparty_bic"] == "DRESDEFF508"
    assert info["counterparty_account"] == "DE14508800500194785000"
    assert info["counterparty_name"] == "KARL KAUFMANN" and info["return_code"] == "901"


def test_a_keyword_opening_a_purpose_line_counts_even_after_a_capital():
    """?20EREF+NOTPROVIDED?21SVWZ+... joins to NOTPROVIDEDSVWZ+: the remittance still starts at
    SVWZ+, it is not swallowed into the end-to-end id."""
    info = parse("166?00GUTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+Invoices 9001041674, 9"
                 "?22004444850?32WAGNER GMBH")
    assert info["end_to_end_id"] == "NOTPROVIDED"
    assert info["remittance"] == "Invoices 9001041674, 9004444850"
    # inside a line, a capital running into a keyword is still part of a word
    assert parse("166?20SVWZ+ABCEREF+X")["remittance"] == "ABCEREF+X"


def test_german_layout_with_mandate_and_creditor_id_and_no_keywords():
    info = parse("105?20EREF+A1 MREF+M-9 CRED+DE98ZZZ09999999999 SVWZ+Beitrag")
    assert (info["end_to_end_id"], info["mandate_id"], info["creditor_id"]) == (
        "A1", "M-9", "DE98ZZZ09999999999")
    assert parse("020?20Kontofuehrung?21 Januar")["remittance"] == "Kontofuehrung Januar"


def test_triodos_writes_angle_brackets():
    info = parse("000>100987654321>20ALGEMENE KOS>21TEN>310390123456")
    assert info["layout"] == "gvc" and info["remittance"] == "ALGEMENE KOSTEN"
    assert info["counterparty_account"] == "0390123456"


@pytest.mark.parametrize("separator", ["~", "<", "^"])
def test_polish_banks_write_the_same_sub_fields_with_their_own_separator(separator):
    """``051~00PRZELEW PRZYCHODZACY~20FAKTURA FV/4895/02/2026~21 ZAKLADY~32NAME~38PL...``: the
    purpose without the posting text, the name and IBAN apart (read as free text, the IBAN's
    digits and the posting text ran into the remittance and the name was never found)."""
    text = ("051~00PRZELEW PRZYCHODZACY~20FAKTURA FV/4895/02/2026 ZAK~21LADY MECHANICZNE~22~23"
            "~32ZAKLADY MECHANICZNE~33 WOJCIK SP. Z O.O.~38PL06866984640393913384405855")
    info = parse(text.replace("~", separator))
    assert info["layout"] == "gvc" and info["gvc"] == "051"
    assert info["posting_text"] == "PRZELEW PRZYCHODZACY"
    assert info["remittance"] == "FAKTURA FV/4895/02/2026 ZAKLADY MECHANICZNE"
    assert info["counterparty_name"] == "ZAKLADY MECHANICZNE WOJCIK SP. Z O.O."
    assert info["counterparty_account"] == "PL06866984640393913384405855"
    # without ~32/~33, the name those banks write in ~27-~29; the purpose keeps it too
    info = parse(text.replace("~32ZAKLADY MECHANICZNE~33 WOJCIK SP. Z O.O.",
                              "~29ZAKLADY MECHANICZNE WOJCIK SP. Z O.O.").replace("~", separator))
    assert info["counterparty_name"] == "ZAKLADY MECHANICZNE WOJCIK SP. Z O.O."
    assert info["purpose"].endswith("MECHANICZNEZAKLADY MECHANICZNE WOJCIK SP. Z O.O.")
    # the German layout's ?29 is a purpose line, never a name
    assert parse("166?20RE 4711?29KARL KAUFMANN")["counterparty_name"] is None
    # lines cut inside a word are joined without a space, as in the German layout
    assert join_lines(["051~00PRZELEW~20FAKTURA FV/1 ZAK~21LA", "DY~32JAN KOWALSKI"]) == (
        "051~00PRZELEW~20FAKTURA FV/1 ZAK~21LADY~32JAN KOWALSKI")


def test_dutch_slash_codes():
    info = parse("/TRTP/SEPA OVERBOEKING/IBAN/NL30ABNA0122365478/BIC/ABNANL2A/NAME/ABC BV"
                 "/REMI/FACTUUR 10530/EREF/E-1")
    assert info["layout"] == "slash" and info["transaction_type"] == "SEPA OVERBOEKING"
    assert (info["counterparty_account"], info["counterparty_bic"], info["counterparty_name"]) == (
        "NL30ABNA0122365478", "ABNANL2A", "ABC BV")
    assert info["remittance"] == "FACTUUR 10530" and info["end_to_end_id"] == "E-1"


def test_ing_counterparty_and_structured_creditor_reference():
    info = parse("/EREF/EV1//CNTP/NL32INGB0000012345/INGBNL2A/ING BANK NV/AMSTERDAM/"
                 "/REMI/STRD/CUR/RF18539007547034/")
    assert info["counterparty_name"] == "ING BANK NV"
    assert info["structured_reference"] == "RF18539007547034" and info["remittance"] is None


@pytest.mark.parametrize("text", ["Salaris december", "", "TOTAAL 1 POSTEN/REMI"])
def test_free_text(text):
    assert parse(text) == {"layout": "text", "remittance": text or None}
