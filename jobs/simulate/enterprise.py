"""The simulated group: entities, bank accounts, customers, vendors and daily FX rates.

Everything here is master data, built once from the seed before any transaction is drawn, and
shared read-only by the partitions that generate transactions (see ``worker``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from random import Random

from jobs.simulate import parties
from jobs.simulate.calendar import Calendar, days_between, offsets
from jobs.simulate.plan import Volumes

HISTORY_DAYS = 90   # activity window ending at as_of
LEAD_DAYS = 40      # purchase orders and FX rates start this much earlier


@dataclass(frozen=True)
class Entity:
    code: str
    name: str
    currency: str
    country: str      # parties / names style
    bank_calendar: str
    tz: str
    weight: float     # share of the records
    stripe: bool


@dataclass(frozen=True)
class BankAccount:
    key: str
    company_code: str
    account: str       # as the statement names it: IBAN, camt Othr/Id or MT940 :25:
    id_kind: str       # IBAN | Othr | MT940
    gl: str
    currency: str
    fmt: str           # camt.053.001.08 | camt.053.001.02 | mt940-structured | mt940-remi
    bank: str
    bic: str
    ref_prefix: str    # first two characters of every AcctSvcrRef / bank reference
    weight: float      # share of the entity's bank events
    mapped: bool       # listed in bank_accounts.csv

    @property
    def camt(self) -> bool:
        return self.fmt.startswith("camt")


ENTITIES = (
    Entity("DE01", "Recon Demo GmbH", "EUR", "DE", "EUR", "Europe/Berlin", 0.38, True),
    Entity("US01", "Recon Demo Inc.", "USD", "US", "US", "America/New_York", 0.35, True),
    Entity("JP01", "Recon Demo K.K.", "JPY", "JP", "JP", "Asia/Tokyo", 0.15, True),
    Entity("GB01", "Recon Demo Ltd", "GBP", "GB", "GB", "Europe/London", 0.12, False),
)
PARTITIONS = (("DE01", "GB01"), ("US01", "JP01"))
FX_PAIRS = (("EUR", "USD", 1.08), ("EUR", "JPY", 161.0), ("EUR", "GBP", 0.85))
FX_CROSSES = (("USD", "JPY", "EUR"), ("GBP", "USD", "EUR"))  # from/to derived via EUR
ACCOUNT_RANGES = {"EUR": (20, 25_000), "USD": (20, 30_000), "GBP": (15, 20_000),
                  "JPY": (3_000, 3_500_000)}


def _bank_accounts() -> tuple[BankAccount, ...]:
    return (
        BankAccount("DE01-DB", "DE01", parties.iban("DE", "500700100123456789"), "IBAN", "113100",
                    "EUR", "camt.053.001.08", "Deutsche Bank", "DEUTDEFFXXX", "DB", 0.7, True),
        BankAccount("DE01-CB", "DE01", "37040044/0532013000", "MT940", "113200", "EUR",
                    "mt940-structured", "Commerzbank", "COBADEFFXXX", "CB", 0.3, True),
        BankAccount("DE01-SK", "DE01", parties.iban("DE", "370501980019283746"), "IBAN", "113600",
                    "EUR", "camt.053.001.08", "Sparkasse KoelnBonn", "COLSDE33XXX", "SK", 0, False),
        BankAccount("US01-JM", "US01", "000123456789", "Othr", "113300", "USD", "camt.053.001.08",
                    "JPMorgan Chase", "CHASUS33XXX", "JM", 1.0, True),
        BankAccount("US01-BA", "US01", "004510987654", "Othr", "113700", "USD", "camt.053.001.08",
                    "Bank of America", "BOFAUS3NXXX", "BA", 0, False),
        BankAccount("JP01-MU", "JP01", "0005-001-1234567", "Othr", "113400", "JPY",
                    "camt.053.001.02", "MUFG Bank", "BOTKJPJTXXX", "MU", 1.0, True),
        BankAccount("GB01-BC", "GB01", parties.iban("GB", "BARC20000055779911"), "MT940", "113500",
                    "GBP", "mt940-remi", "Barclays", "BARCGB22XXX", "BC", 1.0, True),
    )


@dataclass(frozen=True)
class Customer:
    billing_id: str
    erp_id: str
    name: str
    company_code: str
    invoice_prefix: str


@dataclass(frozen=True)
class Vendor:
    supplier_id: str
    erp_id: str
    name: str
    company_code: str
    invoice_style: int
    mapped: bool


@dataclass
class Enterprise:
    seed: int
    records: int
    as_of: dt.date
    start: dt.date
    entities: dict[str, Entity]
    accounts: tuple[BankAccount, ...]
    calendars: dict[str, Calendar]
    offsets: dict[str, dict[dt.date, str]]          # by entity code
    customers: dict[str, list[Customer]]            # by entity code (Stripe entities)
    vendors: dict[str, list[Vendor]]                # by entity code, mapped and not
    payers: dict[str, list[tuple[str, str]]]        # (name, account) per entity
    fx: dict[tuple[str, str], dict[dt.date, int]]   # micro-rates by pair and day
    volumes: Volumes
    openings: dict[str, int] = field(default_factory=dict)  # opening balance per account key

    def calendar(self, code: str) -> Calendar:
        return self.calendars[self.entities[code].bank_calendar]

    @property
    def days(self) -> list[dt.date]:
        return days_between(self.start, self.as_of)


def build(seed: int, records: int, as_of: dt.date) -> Enterprise:
    """The master data of one simulation, a pure function of (seed, records, as_of)."""
    rng = Random(f"{seed}:enterprise")
    start = as_of - dt.timedelta(days=HISTORY_DAYS - 1)
    first = start - dt.timedelta(days=LEAD_DAYS)
    ents = {e.code: e for e in ENTITIES}
    cals = {k: Calendar(k, first, as_of) for k in {e.bank_calendar for e in ENTITIES}}
    accounts = _bank_accounts()
    volumes = Volumes.plan(records, ents, accounts)
    ent = Enterprise(
        seed, records, as_of, start, ents, accounts, cals,
        {e.code: offsets(e.tz, first, as_of) for e in ENTITIES},
        {}, {}, {}, _fx(rng, first, as_of, cals["EUR"]), volumes)
    for e in ENTITIES:
        n_cust = max(20, min(5000, records // 150)) if e.stripe else 0
        ent.customers[e.code] = _customers(rng, e, n_cust)
        ent.vendors[e.code] = _vendors(rng, e, max(15, min(2000, records // 400)))
        ent.payers[e.code] = [(n, parties.account_id(rng, e.country)) for n in
                              parties.company_names(rng, e.country, max(40, min(3000, records // 100)))]
    for a in accounts:
        hi = ACCOUNT_RANGES[a.currency][1]
        ent.openings[a.key] = int(hi * (20 + 200 * rng.random())) * 10 ** (0 if a.currency == "JPY" else 2)
    return ent


def _customers(rng: Random, e: Entity, n: int) -> list[Customer]:
    names = parties.company_names(rng, e.country, n)
    base = {"DE01": 1_100_000, "US01": 1_200_000, "JP01": 1_300_000, "GB01": 1_400_000}[e.code]
    return [Customer(f"cus_{_alnum(rng, 14)}", str(base + i + 1), name, e.code,
                     f"{rng.getrandbits(32):08X}") for i, name in enumerate(names)]


def _vendors(rng: Random, e: Entity, n: int) -> list[Vendor]:
    names = parties.company_names(rng, e.country, n + 3)
    base = {"DE01": 3_100_000, "US01": 3_200_000, "JP01": 3_300_000, "GB01": 3_400_000}[e.code]
    sup = {"DE01": 10_000, "US01": 20_000, "JP01": 30_000, "GB01": 40_000}[e.code]
    # The last three suppliers are missing from vendors.csv: the mapping_error of procure_to_pay.
    return [Vendor(str(sup + i + 1), str(base + i + 1), name, e.code, rng.randrange(4), i < n)
            for i, name in enumerate(names)]


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ALNUM_TABLE = bytes((_ALNUM * 5)[:256], "ascii")


def _alnum(rng: Random, n: int) -> str:
    return rng.randbytes(n).translate(ALNUM_TABLE).decode("ascii")


def _fx(rng: Random, first: dt.date, last: dt.date, target: Calendar) -> dict:
    """Daily rates: a random walk on TARGET2 business days, carried over closed days."""
    out: dict[tuple[str, str], dict[dt.date, int]] = {}
    level = {(a, b): r for a, b, r in FX_PAIRS}
    for pair in level:
        out[pair] = {}
    for day in days_between(first, last):
        for pair, r in level.items():
            if target.is_open(day):
                r = level[pair] = r * (1 + rng.gauss(0, 0.004))
            out[pair][day] = round(r * 1_000_000)
    for a, b, via in FX_CROSSES:
        out[(a, b)] = {d: round(out[(via, b)][d] / out[(via, a)][d] * 1_000_000)
                       for d in out[(via, a)]}
    return out
