"""Masking of IBANs and account numbers, and the role model that decides who sees them."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from app import access, exports, privacy
from app.access import AccessError, Viewer
from jobs.workflow import Role

IBAN = "DE89370400440532013000"  # the standard example IBAN (valid checksum)


@pytest.mark.parametrize(("value", "masked"), [
    (IBAN, "DE89 **** **** **** 3000"),
    ("DE89 3704 0044 0532 0130 00", "DE89 **** **** **** 3000"),
    ("GB29NWBK60161331926819", "GB29 **** **** **** 6819"),
    ("123456789", "**** 6789"),  # not an IBAN: last four only
    ("12", "****"),
    ("DE89 **** **** **** 3000", "DE89 **** **** **** 3000"),  # masking twice changes nothing
])
def test_mask_account(value, masked):
    assert privacy.mask_account(value) == masked


def test_only_real_ibans_count():
    assert privacy.is_iban(IBAN) and privacy.is_iban("de89 3704 0044 0532 0130 00")
    assert not privacy.is_iban("DE89370400440532013001")  # checksum
    assert not privacy.is_iban("DB26091700000013")  # a bank reference that looks alike
    assert not privacy.is_iban("DE8937040044053201300")  # length for DE is 22


def test_mask_text_finds_ibans_in_free_text():
    text = f"/CNTP/{IBAN}/COBADEFFXXX/ACME/REMI/INV-1 ref DB26091700000013"
    assert privacy.mask_text(text) == ("/CNTP/DE89 **** **** **** 3000/COBADEFFXXX/ACME/REMI/"
                                       "INV-1 ref DB26091700000013")
    grouped = "paid from DE89 3704 0044 0532 0130 00 today"
    assert privacy.mask_text(grouped) == "paid from DE89 **** **** **** 3000 today"


def test_mask_payload_by_key_and_by_content():
    raw = {"Acct": {"Id": {"IBAN": IBAN}}, "DbtrAcct": {"Id": {"Othr": {"Id": "0012345678"}}},
           "counterparty_account": "998877", "AcctSvcrRef": "DB26091700000013",
           "gl_account": "113100", "account_type": "S", "account": {"code": "6000"},
           "remittance": [f"from {IBAN}"], "amount": 12, "line_25": ":25:12345678/0099"}
    masked = json.loads(privacy.mask_raw(json.dumps(raw)))
    assert masked["Acct"]["Id"]["IBAN"] == "DE89 **** **** **** 3000"
    assert masked["DbtrAcct"]["Id"]["Othr"]["Id"] == "**** 5678"
    assert masked["counterparty_account"] == "**** 8877"
    assert masked["AcctSvcrRef"] == "DB26091700000013"  # a reference, not an account
    assert (masked["gl_account"], masked["account_type"], masked["account"]) == (
        "113100", "S", {"code": "6000"})
    assert masked["remittance"] == ["from DE89 **** **** **** 3000"]
    assert privacy.mask_raw(f"not json {IBAN}") == "not json DE89 **** **** **** 3000"
    assert privacy.mask_raw(None) is None


def test_mask_frame_and_export_table():
    frame = pd.DataFrame({"ref": [IBAN, "x"], "amount": [1.5, 2.0]})
    assert privacy.mask_frame(frame)["ref"].tolist() == ["DE89 **** **** **** 3000", "x"]
    table = pa.table({"detail": [f"pay {IBAN}", None], "n": [1, 2]})
    assert exports.mask_table(table).column("detail").to_pylist() == [
        "pay DE89 **** **** **** 3000", None]
    untouched = pa.table({"detail": ["nothing to hide"]})
    assert exports.mask_table(untouched) is untouched


def test_local_roles():
    assert access.local_roles({}) == (Role.CONTROLLER, Role.IT, Role.EXECUTIVE)
    assert access.local_roles({"RECON_LOCAL_ROLES": "executive, it,it"}) == (Role.EXECUTIVE,
                                                                             Role.IT)
    with pytest.raises(AccessError, match="unknown role"):
        access.local_roles({"RECON_LOCAL_ROLES": "controller,admin"})
    assert access.local_actor({"RECON_LOCAL_USER": "ana"}) == "ana"
    assert access.local_actor({})


def test_roles_from_claims():
    config = {"claim": "groups", "controller": ["fin"], "it": "integration",
              "executive": ["cfo"]}
    assert access.roles_from_claims({"groups": ["fin", "cfo"]}, config) == (Role.CONTROLLER,
                                                                             Role.EXECUTIVE)
    assert access.roles_from_claims({"groups": "integration"}, config) == (Role.IT,)
    assert access.roles_from_claims({"groups": ["sales"]}, config) == ()
    assert access.roles_from_claims({}, {**config, "default": "executive"}) == (Role.EXECUTIVE,)
    assert access.roles_from_claims({"roles": ["x"]}, {"claim": "roles", "it": ["x"]}) == (
        Role.IT,)
    with pytest.raises(AccessError, match="not a role"):
        access.roles_from_claims({}, {"default": "boss"})
    assert access.actor_from_claims({"name": "Ana", "email": "ana@x.example"}) == "ana@x.example"
    assert access.actor_from_claims({"sub": "123"}) == "123"


def test_viewer_permissions():
    def viewer(role):
        return Viewer(actor="a", role=role, roles=(role,))
    ctl, it, exe = viewer(Role.CONTROLLER), viewer(Role.IT), viewer(Role.EXECUTIVE)
    assert (ctl.can_act, ctl.can_comment, ctl.can_run_jobs, ctl.sees_accounts) == (
        True, True, False, False)
    assert (it.can_act, it.can_comment, it.can_run_jobs, it.sees_accounts) == (
        False, True, True, True)
    assert (exe.can_act, exe.can_comment, exe.can_run_jobs, exe.sees_accounts) == (
        False, False, False, False)
