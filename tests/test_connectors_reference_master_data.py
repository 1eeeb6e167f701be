"""Master-data CSVs recognised by header and read strictly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.base import RejectedFile
from connectors.reference.master_data import ReferenceConnector

FIXTURES = Path(__file__).parent / "fixtures" / "reference"


def read(path: Path):
    return ReferenceConnector().read(path)


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_customers_and_vendors_become_counterparties():
    customers = read(FIXTURES / "customers.csv").tables["counterparty"]
    assert customers[0] == {"kind": "customer", "system_id": "cus_A1", "erp_id": "0000100001",
                            "name": "Acme Retail GmbH", "company_code": "DE01"}
    assert customers[2]["erp_id"] is None and customers[2]["company_code"] is None
    vendors = read(FIXTURES / "vendors.csv").tables["counterparty"]
    assert [(v["kind"], v["system_id"], v["erp_id"]) for v in vendors] == [
        ("vendor", "301", "0000200002"), ("vendor", "S-9", "0000200003")]


def test_bank_accounts_entities_and_fx_rates():
    accounts = read(FIXTURES / "bank_accounts.csv").tables["account"]
    assert accounts[0] == {"account": "DE89370400440532013000", "company_code": "DE01",
                           "gl_account": "113100", "currency": "EUR"}
    assert accounts[1]["currency"] == "USD"
    entities = read(FIXTURES / "entities.csv").tables["entity"]
    assert [e["company_code"] for e in entities] == ["DE01", "US01", "JP01"]
    rates = read(FIXTURES / "fx_rates.csv").tables["fx_rate"]
    assert rates[0] == {"date": dt.date(2024, 3, 1), "from_currency": "USD", "to_currency": "EUR",
                        "rate": Decimal("0.92310000")}


def test_recognised_by_header_not_by_name(tmp_path):
    path = write(tmp_path, "Company_Code ; Currency ; Name ; Region\nDE01;EUR;Acme;EU\n", "x.txt")
    assert ReferenceConnector().sniff(path.read_bytes(), path)
    batch = read(path)
    assert batch.format == "reference_entities"
    assert batch.tables["entity"] == [{"company_code": "DE01", "name": "Acme", "currency": "EUR"}]


def test_exact_repeats_and_blank_lines_are_harmless(tmp_path):
    path = write(tmp_path, "date,from,to,rate\n2024-03-01,USD,EUR,0.9\n\n2024-03-01,USD,EUR,0.9\n")
    assert len(read(path).tables["fx_rate"]) == 1


@pytest.mark.parametrize(("text", "problem", "record"), [
    ("date,from,to,rate\n2024-03-01,USD,EUR,abc\n", "rate 'abc' is not a number", "line 2"),
    ("date,from,to,rate\n2024-03-01,USD,EUR,-1\n", "not a positive number", "line 2"),
    ("date,from,to,rate\n01/03/2024,USD,EUR,1\n", "not an ISO date", "line 2"),
    ("date,from,to,rate\n2024-03-01,US,EUR,1\n", "'US' is not a three-letter currency", "line 2"),
    ("company_code,name,currency\nDE01,,EUR\n", "name is empty", "line 2"),
    ("company_code,name,currency\nDE01,A,EUR,extra\n", "more fields than the header", "line 2"),
    ("billing_customer_id,erp_customer,name,company_code\nc1,1,A,DE01\nc1,2,A,DE01\n",
     "customer, c1 is given twice with different values (also line 2)", "line 3"),
    ("name,value\na,1\n", "header is not one of", "line 1"),
])
def test_bad_rows_reject_the_file_with_line_and_problem(tmp_path, text, problem, record):
    path = write(tmp_path, text)
    with pytest.raises(RejectedFile) as err:
        read(path)
    assert problem in err.value.problem
    assert err.value.record == record
    assert str(path) in str(err.value)


def test_not_utf8_is_rejected(tmp_path):
    path = tmp_path / "entities.csv"
    path.write_bytes(b"company_code,name,currency\nDE01,M\xfcller,EUR\n")
    with pytest.raises(RejectedFile, match="not UTF-8"):
        read(path)


def test_sniff_leaves_erp_exports_and_json_alone():
    connector = ReferenceConnector()
    for name in ("customers.csv", "vendors.csv", "bank_accounts.csv", "entities.csv", "fx_rates.csv"):
        path = FIXTURES / name
        assert connector.sniff(path.read_bytes(), path)
    erp = b"company_code,fiscal_year,document_number,line_item,name,currency,amount\n"
    assert not connector.sniff(erp, Path("x"))
    assert not connector.sniff(b'[{"po_number": 1}]', Path("x"))
    assert not connector.sniff(b"\n", Path("x"))


def test_rows_have_exactly_the_canonical_columns():
    from connectors.canonical import Account, Counterparty, Entity, FxRate

    models = {"counterparty": Counterparty, "account": Account, "entity": Entity, "fx_rate": FxRate}
    for path in FIXTURES.glob("*.csv"):
        for table, rows in read(path).tables.items():
            assert all(set(row) == set(models[table].model_fields) for row in rows), path.name
