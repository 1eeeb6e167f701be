"""The data contract: every canonical table, defined once with SQLModel (SPEC §4).

Matching, validation, the warehouse schema and the dashboard are all defined in terms of these
classes. Amounts are exact decimals; timestamps carry their time zone. Identity is content
derived (``record_id``), never an autoincrement integer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, DateTime, Numeric
from sqlmodel import Field, SQLModel

AMOUNT = Numeric(18, 4)
RATE = Numeric(18, 8)
QUANTITY = Numeric(18, 4)


def _amount(nullable: bool = False, **kw) -> Decimal:
    if nullable:
        kw.setdefault("default", None)
    return Field(sa_type=AMOUNT, nullable=nullable, **kw)


def _tstz(nullable: bool = True) -> dt.datetime:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable) if nullable \
        else Field(sa_type=DateTime(timezone=True), nullable=False)


class SourceSystem(StrEnum):
    BANK = "bank"
    ERP = "erp"
    BILLING = "billing"
    PROCUREMENT = "procurement"
    REFERENCE = "reference"


class Workflow(StrEnum):
    BANK_TO_LEDGER = "bank_to_ledger"
    BILLING_TO_LEDGER = "billing_to_ledger"
    PROCURE_TO_PAY = "procure_to_pay"
    INTERCOMPANY = "intercompany"


class Cause(StrEnum):
    """Exception causes in precedence order (SPEC §5.3): the first that applies wins."""

    SOURCE_SYSTEM_DEFECT = "source_system_defect"
    DUPLICATE_SUBMISSION = "duplicate_submission"
    MAPPING_ERROR = "mapping_error"
    PO_CHANGE_NOT_SYNCED = "po_change_not_synced"
    INTERCOMPANY_IMBALANCE = "intercompany_imbalance"
    AMOUNT_VARIANCE = "amount_variance"
    TIMING_DIFFERENCE = "timing_difference"
    MISSING_COUNTERPART = "missing_counterpart"


class SubCause(StrEnum):
    BANK_FEE = "bank_fee"
    FX_DIFFERENCE = "fx_difference"
    PARTIAL_PAYMENT = "partial_payment"
    OVERPAYMENT = "overpayment"
    OTHER = "other"


class ExceptionStatus(StrEnum):
    OPEN = "open"
    AUTO_RESOLVED = "auto_resolved"
    RESOLVED = "resolved"


class Lineage(SQLModel):
    """Columns every canonical record carries so any figure can be traced to its source."""

    record_id: str = Field(primary_key=True, description="content-derived id: system + source_ref")
    source_system: str
    source_ref: str = Field(description="what a person types into the source system (SPEC §10)")
    connector: str
    source_file: str
    source_position: int = Field(description="record index (or line) inside the file or page")
    payload_hash: str
    snapshot_id: str
    extracted_at: dt.datetime = _tstz(nullable=False)
    correlation_id: str | None = None
    raw: dict | None = Field(default=None, sa_type=JSON)


# --- reference data -----------------------------------------------------------------------


class Entity(SQLModel, table=True):
    __tablename__ = "entity"
    company_code: str = Field(primary_key=True)
    name: str
    currency: str


class Account(SQLModel, table=True):
    """A bank account as statements name it, with the GL account it posts to."""

    __tablename__ = "account"
    account: str = Field(primary_key=True)
    company_code: str
    gl_account: str
    currency: str


class Counterparty(SQLModel, table=True):
    """Customer or vendor, with its id in the billing/procurement system and in the ERP."""

    __tablename__ = "counterparty"
    kind: str = Field(primary_key=True, description="customer | vendor")
    system_id: str = Field(primary_key=True, description="billing customer or procurement supplier id")
    erp_id: str | None = None
    name: str
    company_code: str | None = None


class FxRate(SQLModel, table=True):
    __tablename__ = "fx_rate"
    date: dt.date = Field(primary_key=True)
    from_currency: str = Field(primary_key=True)
    to_currency: str = Field(primary_key=True)
    rate: Decimal = Field(sa_type=RATE)


# --- transactions -------------------------------------------------------------------------


class BankTransaction(Lineage, table=True):
    """One booked or pending movement; a batch entry yields one row per transaction detail."""

    __tablename__ = "bank_transaction"
    account: str
    currency: str
    amount: Decimal = _amount(description="signed: credit positive, debit negative")
    booking_date: dt.date | None = None
    value_date: dt.date | None = None
    status: str = Field(default="booked", description="booked | pending | info")
    is_reversal: bool = False
    statement_id: str
    entry_seq: int
    detail_seq: int | None = None
    detail_count: int = 1
    entry_amount: Decimal = _amount(description="the whole entry's signed amount (batch total)")
    acct_svcr_ref: str | None = None
    end_to_end_id: str | None = None
    bank_tx_code: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    remittance_text: str | None = None
    structured_reference: str | None = None
    structured_reference_core: str | None = Field(
        default=None, description="a structured creditor reference (RF, OCR/KID) without its "
                                  "check digits: the invoice number it carries")
    instructed_amount: Decimal | None = _amount(nullable=True)
    instructed_currency: str | None = None
    exchange_rate: Decimal | None = Field(default=None, sa_type=RATE, nullable=True)
    charges_amount: Decimal | None = _amount(nullable=True)


class LedgerLine(Lineage, table=True):
    """One ERP general-ledger line item (SAP BSEG/ACDOCA style, SPEC §3)."""

    __tablename__ = "ledger_line"
    company_code: str
    fiscal_year: int
    document_number: str
    line_item: int
    document_type: str | None = None
    posting_date: dt.date | None = Field(default=None, description="None when unreadable: a defect")
    document_date: dt.date | None = None
    entry_timestamp: dt.datetime | None = _tstz()
    gl_account: str | None = Field(default=None, description="None when missing: a defect")
    account_type: str | None = Field(default=None, description="S ledger, D customer, K vendor; "
                                     "None when missing: a defect")
    customer: str | None = None
    vendor: str | None = None
    amount: Decimal | None = _amount(nullable=True, description="signed, document currency; credits negative; None when unreadable")
    currency: str | None = Field(default=None, description="None when missing: a defect")
    amount_local: Decimal | None = _amount(nullable=True)
    local_currency: str | None = None
    reference: str | None = None
    assignment: str | None = None
    text: str | None = None
    clearing_document: str | None = None
    clearing_date: dt.date | None = None
    trading_partner: str | None = None
    purchase_order: str | None = None


class BillingEvent(Lineage, table=True):
    """A Stripe charge, refund, payout or invoice, in major units with the company's sign."""

    __tablename__ = "billing_event"
    kind: str = Field(description="charge | refund | payout | invoice | fee")
    currency: str
    amount: Decimal = _amount(description="signed: money to the company positive")
    fee: Decimal | None = _amount(nullable=True)
    net: Decimal | None = _amount(nullable=True)
    created: dt.datetime = _tstz(nullable=False)
    available_on: dt.datetime | None = _tstz()
    status: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    invoice_number: str | None = None
    charge_id: str | None = None
    payout_id: str | None = None
    balance_transaction_id: str | None = None
    description: str | None = None


class PurchaseOrder(Lineage, table=True):
    """One version of a purchase order; change orders raise ``version`` and all are kept."""

    __tablename__ = "purchase_order"
    po_id: str
    po_number: str
    version: int
    status: str | None = None
    company_code: str | None = None
    currency: str
    supplier_id: str | None = None
    supplier_name: str | None = None
    created_at: dt.datetime | None = _tstz()
    updated_at: dt.datetime | None = _tstz()
    total: Decimal = _amount()


class PurchaseOrderLine(SQLModel, table=True):
    __tablename__ = "purchase_order_line"
    po_record_id: str = Field(primary_key=True)
    line_num: int = Field(primary_key=True)
    po_number: str
    version: int
    description: str | None = None
    quantity: Decimal = Field(sa_type=QUANTITY)
    price: Decimal = _amount()
    total: Decimal = _amount()
    account_code: str | None = None


class Receipt(Lineage, table=True):
    __tablename__ = "receipt"
    receipt_id: str
    po_number: str
    line_num: int
    quantity: Decimal = Field(sa_type=QUANTITY)
    received_at: dt.datetime | None = _tstz()


class SupplierInvoice(Lineage, table=True):
    __tablename__ = "supplier_invoice"
    invoice_id: str
    invoice_number: str
    supplier_id: str | None = None
    supplier_name: str | None = None
    invoice_date: dt.date | None = None
    currency: str
    total: Decimal = _amount()
    status: str | None = None
    created_at: dt.datetime | None = _tstz()
    updated_at: dt.datetime | None = _tstz()
    po_number: str | None = Field(default=None, description="first PO the lines reference")


class SupplierInvoiceLine(SQLModel, table=True):
    __tablename__ = "supplier_invoice_line"
    invoice_record_id: str = Field(primary_key=True)
    line_seq: int = Field(primary_key=True)
    po_number: str | None = None
    line_num: int | None = None
    quantity: Decimal = Field(sa_type=QUANTITY)
    price: Decimal = _amount()
    total: Decimal = _amount()


# --- pipeline bookkeeping -----------------------------------------------------------------


class Snapshot(SQLModel, table=True):
    """One immutable read of one file or API page; idempotent by content hash."""

    __tablename__ = "snapshot"
    snapshot_id: str = Field(primary_key=True)
    source_system: str
    connector: str
    source: str = Field(description="file path or endpoint")
    content_hash: str = Field(index=True)
    extracted_at: dt.datetime = _tstz(nullable=False)
    record_count: int = 0
    total_amount: Decimal | None = _amount(nullable=True)
    status: str = Field(default="ok", description="ok | quarantined | held_back")
    error: str | None = None
    run_id: str | None = None


class JobRun(SQLModel, table=True):
    __tablename__ = "job_run"
    run_id: str = Field(primary_key=True)
    job: str
    trigger: str
    started_at: dt.datetime = _tstz(nullable=False)
    ended_at: dt.datetime | None = _tstz()
    status: str = Field(description="running | success | failed")
    rows_in: int | None = None
    rows_out: int | None = None
    as_of: dt.date | None = None
    attempt: int = 1
    retries: int | None = Field(default=None, description="transient failures retried (HTTP, locks)")
    error: str | None = None
    traceback: str | None = None
    stages: dict | None = Field(default=None, sa_type=JSON)


class ValidationResult(SQLModel, table=True):
    __tablename__ = "validation_result"
    snapshot_id: str = Field(primary_key=True)
    suite: str = Field(primary_key=True)
    expectation: str = Field(primary_key=True)
    severity: str
    success: bool
    evaluated_count: int | None = None
    unexpected_count: int | None = None
    sample_ids: list | None = Field(default=None, sa_type=JSON)
    run_id: str | None = None


# --- matching outputs ---------------------------------------------------------------------


class MatchGroup(SQLModel, table=True):
    __tablename__ = "match_group"
    match_id: str = Field(primary_key=True, description="content-derived from its members")
    run_id: str
    workflow: str
    rule: str
    confidence: float
    currency: str | None = None
    amount: Decimal | None = _amount(nullable=True)
    difference: Decimal | None = _amount(nullable=True)
    cutoff_flag: bool = False
    latency_days: int | None = None
    matched_at: dt.datetime = _tstz(nullable=False)


class MatchMember(SQLModel, table=True):
    __tablename__ = "match_member"
    match_id: str = Field(primary_key=True)
    record_id: str = Field(primary_key=True)
    side: str = Field(description="left | right")
    source_system: str
    source_ref: str
    amount: Decimal | None = _amount(nullable=True)
    event_date: dt.date | None = None


class ReconException(SQLModel, table=True):
    """An open or closed discrepancy with exactly one primary cause (SPEC §5.3)."""

    __tablename__ = "exception"
    exception_id: str = Field(primary_key=True, description="stable across runs")
    workflow: str
    cause: str
    sub_cause: str | None = None
    status: str = ExceptionStatus.OPEN.value
    entity: str | None = None
    source_system: str
    source_ref: str
    record_id: str
    counterpart_system: str | None = None
    counterpart_ref: str | None = None
    counterpart_record_id: str | None = None
    currency: str | None = None
    amount: Decimal | None = _amount(nullable=True)
    difference: Decimal | None = _amount(nullable=True)
    event_date: dt.date | None = None
    first_seen: dt.date
    last_seen: dt.date
    resolved_at: dt.date | None = None
    resolved_by_match: str | None = None
    correlation_id: str | None = None
    detail: str | None = None
    candidates: list | None = Field(default=None, sa_type=JSON)


class Quarantine(SQLModel, table=True):
    """A file rejected at ingest, with a reason naming the file, the record and the problem."""

    __tablename__ = "quarantine"
    content_hash: str = Field(primary_key=True)
    source_system: str
    source: str
    reason: str
    quarantined_at: dt.datetime = _tstz(nullable=False)
    run_id: str | None = None


TRANSACTION_TABLES: dict[str, type[SQLModel]] = {
    "bank_transaction": BankTransaction,
    "ledger_line": LedgerLine,
    "billing_event": BillingEvent,
    "purchase_order": PurchaseOrder,
    "receipt": Receipt,
    "supplier_invoice": SupplierInvoice,
}
