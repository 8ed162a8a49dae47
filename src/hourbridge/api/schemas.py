"""Request and response models of the REST API (pydantic v2).

Money, rates, tax rates and hours are decimal strings in JSON, never floats; durations are
whole seconds. Master-data records use the bundle format's models, so what you GET is what you
POST. Requests refuse unknown fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)

from hourbridge.formats.bundle import Code

MAX_ENTRIES_PER_REQUEST = 10_000
MAX_IDS_PER_REQUEST = 10_000

Money = Annotated[str, Field(description="decimal amount as a string", examples=["150.00"])]
Decimal_ = Annotated[str, Field(description="decimal number as a string", examples=["0.19"])]
Actor = Annotated[str, Field(min_length=1, max_length=128, description="who acts (kept)")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    pass


# --- problems ------------------------------------------------------------------------------
class ProblemItem(_Out):
    pointer: str | None = Field(
        None, description="JSON Pointer (RFC 6901, as a URI fragment) into the request body",
        examples=["#/entities/0/currency"])
    location: str = Field(description="body, query, path or header", examples=["body"])
    field: str = Field(description="the field's path", examples=["entities[0].currency"])
    reason: str = Field(description="what is wrong, for people")
    code: str = Field(description="what is wrong, for programs", examples=["string_pattern"])


class Problem(_Out):
    """RFC 9457 problem details, served as ``application/problem+json``."""

    type: str = Field(description="URI naming the problem type", examples=[
        "https://hourbridge.dev/problems/not-found"])
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="the request path")
    code: str = Field(description="stable machine-readable reason", examples=["not_found"])
    errors: list[ProblemItem] | None = Field(
        None, description="validation errors: every reason, each with its location")


# --- health --------------------------------------------------------------------------------
class Health(_Out):
    status: Literal["ok"] = "ok"


class Ready(_Out):
    status: Literal["ready"] = "ready"
    schema_revision: str


# --- master data ---------------------------------------------------------------------------
class LoadCounts(_Out):
    created: int
    updated: int
    unchanged: int


# --- time entries --------------------------------------------------------------------------
_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _json_scalar(*types: str) -> Any:
    """A JSON value of one of ``types`` (or null), kept exactly as sent: no coercion."""
    allowed = tuple(t for name in types for t in _PY_TYPES[name])

    def check(value: Any) -> Any:
        if value is None or (isinstance(value, allowed) and (
                not isinstance(value, bool) or "boolean" in types)):
            return value
        raise ValueError(f"must be {' or '.join(types)}")

    return Annotated[Any, PlainValidator(check), WithJsonSchema({"type": [*types, "null"]})]


Text = _json_scalar("string")
TextOrInteger = _json_scalar("string", "integer")
TextOrNumber = _json_scalar("string", "number")
TextOrBoolean = _json_scalar("string", "boolean")


class TimeEntryRow(BaseModel):
    """One row in the canonical time-entry format (the same fields as the CSV header).

    Only JSON types are checked here; whether a row is acceptable (required fields, a known
    project, an assigned employee, a rate in force, an open period...) is decided by intake,
    and a refused row goes to the exception queue with its reason, like a row of any
    tracker's file. Other fields are kept with the row.
    """

    model_config = ConfigDict(extra="allow")
    external_id: TextOrInteger = Field(None, description="the source system's id (required)")
    employee: Text = Field(None, description="employee id (required)")
    project: Text = Field(None, description="project code (required)")
    task: Text = Field(None, description="task code within the project")
    date: Text = Field(None, description="work date, YYYY-MM-DD (required)",
                       examples=["2026-07-01"])
    hours: TextOrNumber = Field(
        None, description="worked hours; give exactly one of hours, minutes, seconds. "
        "Prefer a string (\"7.5\"); a JSON number is taken as its shortest decimal text.",
        examples=["7.5"])
    minutes: TextOrNumber = None
    seconds: TextOrInteger = None
    notes: Text = None
    billable: TextOrBoolean = Field(None, description="default true")
    revision: TextOrInteger = Field(None, description="positive integer, default 1")
    deleted: TextOrBoolean = Field(
        None, description="true: the source deleted the entry (a tombstone; only external_id "
        "and revision are read). Work already invoiced becomes a correction proposal.")


class TimeEntriesIn(_In):
    source: Code = Field(description="source system name, part of every entry's identity",
                         examples=["harvest"])
    entries: list[TimeEntryRow] = Field(min_length=1, max_length=MAX_ENTRIES_PER_REQUEST)


class IntakeReport(_Out):
    inbox_id: int | None = Field(description="the kept payload")
    fingerprint: str = Field(description="SHA-256 of the kept payload")
    duplicate_payload: bool = Field(description="the same payload was taken before: nothing "
                                                "was added")
    rows: int
    accepted: int
    revised: int
    unchanged: int
    rejected: int
    deleted: int = Field(0, description="entries the source deleted before approval")
    corrections_proposed: int = Field(
        0, description="changes or deletions of work on an invoice, proposed as corrections "
        "(GET /v1/corrections)")
    reasons: dict[str, int] = Field(description="rejected rows by reason code")
    days_rerounded: int = Field(0, description="days of per-day-rounded contracts recomputed")
    entries_rerounded: int = Field(0, description="entries whose billable seconds moved")
    day_overbilled_seconds: int = Field(
        0, description="billed seconds beyond a recomputed day's rounded total (to credit)")


class TimeEntry(_Out):
    id: int
    source: str
    external_id: str
    revision: int
    employee: str
    project: str
    task: str
    work_date: dt.date
    worked_seconds: int
    billable_seconds: int
    billable: bool
    notes: str
    approval: str
    billing: str
    locked: bool = False
    wip_amount: Money | None = None
    wip_currency: str | None = None
    billed_seconds: int = 0
    written_off_seconds: int = 0
    deleted_at: dt.datetime | None = Field(None, description="when the source deleted it")


# --- approvals -----------------------------------------------------------------------------
class ApprovalIn(_In):
    actor: Actor
    entry_ids: list[int] = Field([], max_length=MAX_IDS_PER_REQUEST)
    employee: Code | None = None
    project: Code | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class Skipped(_Out):
    id: int
    reason: str
    message: str | None = None


class ApprovalReport(_Out):
    approved: int
    billable: int
    skipped: list[Skipped]
    journal_keys: list[str]
    wip: dict[str, Money] = Field(description="currency -> value booked as unbilled revenue")


# --- billing -------------------------------------------------------------------------------
class BillingRunIn(_In):
    through: dt.date = Field(description="bill approved work up to this date")
    entity: Code | None = Field(None, description="only this legal entity")
    dry_run: bool = Field(False, description="compute the drafts, write nothing")


class DraftSummary(_Out):
    id: int | None = Field(description="null in a dry run")
    entity: str
    contract: str
    customer: str
    period: str
    currency: str
    lines: int
    entries: int
    net: Money
    tax: Money
    total: Money


class ProposalFigures(_Out):
    currency: str
    net: Money
    entries: str


class ProposalChange(_Out):
    contract: str
    period: str
    change: Literal["added", "removed", "changed"]
    before: ProposalFigures | None
    after: ProposalFigures | None
    net_delta: Money | None = None
    entries_delta: int | None = None


class BillingReport(_Out):
    through: dt.date
    dry_run: bool
    run_id: int | None
    invoices_created: int
    invoices: list[DraftSummary]
    entries_billed: int
    entries_held: int = 0
    totals: dict[str, Money]
    skipped: list[Skipped]
    changes_since_last_run: list[ProposalChange] = Field(
        [], description="per contract and period, what differs from the previous run over "
        "the same scope (dry or real)")


# --- invoices ------------------------------------------------------------------------------
class Invoice(_Out):
    id: int
    kind: Literal["invoice", "credit_note"] = "invoice"
    credits: int | None = Field(None, description="on a credit note: the invoice it credits")
    credit_mode: Literal["rebill", "write_off"] | None = None
    reason: str | None = None
    number: str | None
    status: str
    entity: str
    contract: str
    customer: str
    currency: str
    period: str
    issue_date: dt.date | None
    due_date: dt.date | None
    net: Money
    tax_code: str | None
    tax_category: str | None = Field(None, description="UNTDID 5305: S, Z, E, AE, O")
    tax_exemption_code: str | None = None
    tax_rate: Decimal_ | None
    tax: Money
    total: Money
    tax_note: str | None
    billing_run: int | None = None
    fx_rate: Decimal_ | None = Field(
        None, description="issued in a currency other than the entity's functional one: 1 "
        "invoice currency = fx_rate functional currency, the rate receivable and tax were "
        "booked at (a credit note: its invoice's)")
    void_date: dt.date | None = Field(None, description="a void: the date its posting was "
                                      "reversed (none for a voided draft)")
    voided_at: dt.datetime | None = None
    voided_by: str | None = None
    void_reason: str | None = None


class LineEntry(_Out):
    entry: int
    seconds: int


class InvoiceLine(_Out):
    id: int
    line_no: int
    credits_line: int | None = None
    description: str
    project: str
    task: str
    role: str
    seconds: int
    quantity_hours: Decimal_
    rate: Decimal_
    amount: Money
    rate_card: str = Field(description="why this rate: the card ...")
    rate_row: str = Field(description="... the row ...")
    rate_rule: str = Field(description="... the precedence rule ...")
    rate_scope: str
    contract_version: int = Field(description="... and the contract version")
    entries: list[LineEntry] = Field(description="the time entries this line bills")


class InvoiceDetail(Invoice):
    lines: list[InvoiceLine]


class IssueIn(_In):
    invoice_ids: list[int] = Field([], max_length=MAX_IDS_PER_REQUEST)
    all: bool = Field(False, description="issue every draft (of `entity`, if given)")
    entity: Code | None = None
    issue_date: dt.date | None = Field(None, description="default today")
    actor: Actor = "api"

    @model_validator(mode="after")
    def _one_selection(self) -> IssueIn:
        if bool(self.invoice_ids) == self.all:
            raise ValueError("give either invoice_ids or all: true")
        return self


class Issued(_Out):
    id: int
    number: str
    entity: str
    customer: str
    currency: str
    net: Money
    tax: Money
    total: Money
    issue_date: dt.date
    due_date: dt.date
    wip_relieved: Money


class IssueReport(_Out):
    issued: list[Issued]
    count: int


# --- exceptions ----------------------------------------------------------------------------
class ExceptionItem(_Out):
    id: int
    reason: str
    owner_role: str
    status: str
    source: str
    external_id: str | None
    location: str
    field: str
    message: str
    created_at: dt.datetime
    note: str | None


class ExceptionList(_Out):
    by_reason: dict[str, int]
    items: list[ExceptionItem]


class RetryIn(_In):
    ids: list[int] = Field([], max_length=MAX_IDS_PER_REQUEST,
                           description="exception ids; empty retries every open one")
    actor: Actor = "api"


class RetryReport(_Out):
    retried: int
    resolved: list[int]
    still_open: dict[str, str] = Field(description="exception id -> reason code")


class DismissIn(_In):
    ids: list[int] = Field(min_length=1, max_length=MAX_IDS_PER_REQUEST)
    note: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                      description="why (kept with the record)")
    actor: Actor


class Dismissed(_Out):
    dismissed: int


# --- ledger and delivery -------------------------------------------------------------------
class JournalLine(_Out):
    id: int
    account: str
    debit: Money
    credit: Money
    currency: str
    functional_amount: Money
    fx_rate: Decimal_
    customer: str | None
    project: str | None
    employee: str | None


class JournalEntry(_Out):
    id: int
    key: str
    entity: str
    posted_on: dt.date
    memo: str
    source_type: str
    source_id: str
    recorded_at: dt.datetime
    lines: list[JournalLine]


class TrialBalanceRow(_Out):
    entity: str
    currency: str
    account: str
    debit: Money
    credit: Money
    balance: Money
    functional_currency: str = Field(description="the entity's functional currency")
    functional_balance: Money = Field(
        description="the balance in functional currency (the functional amounts of the "
        "postings); per entity these sum to zero over all currencies")


class FunctionalTrialBalanceRow(_Out):
    entity: str
    currency: str = Field(description="the entity's functional currency")
    account: str
    balance: Money


class DeadLetter(_Out):
    id: int
    key: str
    type: str
    attempts: int
    last_error: str | None
    processed_at: dt.datetime | None


class DrainStats(_Out):
    delivered: int
    retried: int
    dead: int


# --- holds ---------------------------------------------------------------------------------
class HoldIn(_In):
    scope: Literal["customer", "project", "contract", "entry"]
    ref: Annotated[str, Field(min_length=1, max_length=128,
                              description="customer id, project code, contract id or entry id")]
    reason: Literal["missing_po", "credit_hold", "dispute", "other"]
    note: str = Field("", max_length=2000)
    owner_role: str | None = Field(None, max_length=64,
                                   description="who releases it (default by reason)")
    actor: Actor


class HoldReleaseIn(_In):
    note: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                      description="why it is released (kept with the hold)")
    actor: Actor


class Hold(_Out):
    id: int
    scope: str
    ref: str
    reason: str
    owner_role: str
    note: str
    placed_at: str
    placed_by: str
    released_at: str | None = None
    released_by: str | None = None
    release_note: str | None = None


# --- credit notes --------------------------------------------------------------------------
class CreditLineIn(_In):
    line_no: int = Field(ge=1)
    seconds: int = Field(0, ge=0, description="billable seconds of the line to credit; 0 or "
                         "absent: all that is left of it (fee, milestone and expense lines "
                         "credit whole)")


class CreditNoteIn(_In):
    invoice_id: int
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    mode: Literal["rebill", "write_off"] = Field(
        "rebill", description="rebill: the credited work bills again; write_off: it never will")
    lines: list[CreditLineIn] = Field([], max_length=10_000,
                                      description="empty: credit all that is still creditable")
    issue_date: dt.date | None = None
    actor: Actor


class CreditNoteReport(_Out):
    id: int
    number: str
    invoice_id: int
    invoice_number: str
    mode: str
    net: Money
    tax: Money
    total: Money
    seconds: int
    entries: int


# --- adjustments ---------------------------------------------------------------------------
class AdjustmentIn(_In):
    entry_id: int
    billable_seconds: int = Field(ge=0, le=86_400, description="new billable seconds")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    actor: Actor


class Adjustment(_Out):
    id: int
    entry: int
    before_seconds: int
    after_seconds: int
    wip_delta: Money | None


# --- expenses ------------------------------------------------------------------------------
class ExpenseRowIn(BaseModel):
    """One row in the canonical expense format (the same fields as the CSV header).

    Only JSON types are checked here; whether a row is acceptable (required fields, a positive
    amount in the currency's minor units, an ISO 4217 currency equal to the contract's, a known
    and active project, an assigned employee, an open period...) is decided by intake, and a
    refused row goes to the exception queue with its reason. Other fields are kept with the row.
    """

    model_config = ConfigDict(extra="allow")
    external_id: TextOrInteger = Field(None, description="the source system's id (required)")
    employee: Text = Field(None, description="employee id (required)")
    project: Text = Field(None, description="project code (required)")
    task: Text = Field(None, description="task code within the project")
    date: Text = Field(None, description="date spent, YYYY-MM-DD (required)",
                       examples=["2026-07-01"])
    amount: TextOrNumber = Field(
        None, description="amount spent, > 0, at most the currency's decimals (required). "
        "Prefer a string (\"120.50\"); a JSON number is taken as its shortest decimal text.",
        examples=["120.50"])
    currency: Text = Field(None, description="ISO 4217 code (required)", examples=["EUR"])
    category: Text = Field(None, description="e.g. travel, hotel, meals (required)")
    description: Text = None
    billable: TextOrBoolean = Field(None, description="default true")
    receipt_ref: Text = Field(None, description="the receipt's id in the expense tool")
    revision: TextOrInteger = Field(None, description="positive integer, default 1")


class ExpensesIn(_In):
    source: Code = Field(description="source system name, part of every expense's identity",
                         examples=["expensify"])
    expenses: list[ExpenseRowIn] = Field(min_length=1, max_length=MAX_ENTRIES_PER_REQUEST)


class Expense(_Out):
    id: int
    source: str
    external_id: str
    revision: int
    employee: str
    project: str
    task: str | None
    entity: str
    contract: str | None
    spent_on: dt.date
    category: str
    description: str
    amount: Money
    currency: str
    billable: bool
    receipt_ref: str | None
    approval: str
    billing: str = Field(description="unbilled, billed, written_off or non_billable")
    invoice_line: int | None = Field(description="the invoice line that bills it")


class ExpenseApprovalIn(_In):
    actor: Actor
    expense_ids: list[int] = Field([], max_length=MAX_IDS_PER_REQUEST)
    employee: Code | None = None
    project: Code | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


class ExpenseApprovalReport(_Out):
    approved: int
    billable: int
    skipped: list[Skipped]
    billable_amount: dict[str, Money] = Field(
        description="currency -> billable amount approved (before any markup)")
# --- intercompany --------------------------------------------------------------------------
class IntercompanyTotal(_Out):
    seller: str = Field(description="the selling entity (the employee's)")
    buyer: str = Field(description="the buying entity (the project's)")
    currency: str = Field(description="the seller's currency, in which charges are made")
    status: Literal["booked", "awaiting_fx"]
    charges: int
    seconds: int
    hours: Decimal_
    amount: Money


class IntercompanyCharge(_Out):
    id: int
    entry: int
    seller: str
    buyer: str
    employee: str
    project: str
    work_date: dt.date
    seconds: int
    hours: Decimal_
    cost_rate: Decimal_
    markup_percent: Decimal_
    transfer_price: Decimal_ = Field(description="per hour: cost rate plus markup")
    amount: Money
    currency: str
    buyer_currency: str
    status: Literal["booked", "awaiting_fx"]
    seller_journal_key: str | None = Field(description="null for zero-priced work")
    buyer_journal_key: str | None = Field(
        description="null while the buyer's side waits for FX conversion")


class IntercompanyReport(_Out):
    period: str | None
    totals: list[IntercompanyTotal]
    charges: list[IntercompanyCharge]
# --- voids ---------------------------------------------------------------------------------
class VoidIn(_In):
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                        description="why (kept on the invoice)")
    void_date: dt.date | None = Field(None, description="default today; the reversal's date")
    actor: Actor


class VoidReport(_Out):
    id: int
    number: str | None = Field(description="kept: a void stays in the sequence")
    status: Literal["void"]
    was: Literal["draft", "issued"]
    entity: str
    entries_released: int
    seconds_released: int
    wip_restored: Money
    journal_key: str | None = Field(description="the reversing journal entry (issued only)")


class SequenceCheck(_Out):
    entity: str
    last_number: int
    documents: int
    voids: int
    missing: list[int]
    duplicated: list[int]
    gapless: bool


# --- corrections ---------------------------------------------------------------------------
class Correction(_Out):
    id: int
    entry: int
    source: str
    external_id: str
    kind: Literal["changed", "deleted"]
    status: Literal["open", "applied", "rejected", "superseded"]
    policy: str = Field(description="the contract's correction policy when proposed")
    action: str = Field(description="proposed (or, once applied, done): credit_and_rebill, "
                        "next_invoice_adjustment, redraft or revise")
    invoice: int | None = Field(description="the invoice affected")
    invoice_number: str | None
    line: int | None
    line_no: int | None
    billed_seconds: int = Field(description="the entry's seconds on the affected invoice(s)")
    currency: str
    old_amount: Money = Field(description="what the invoice(s) carry for the entry")
    new_amount: Money = Field(description="the new revision priced")
    difference: Money
    before: dict[str, Any]
    after: dict[str, Any] | None = Field(description="null for a deletion")
    changes: dict[str, list[Any]] = Field(description="field -> [old, new]")
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    note: str | None = None
    outcome: dict[str, Any] | None = Field(None, description="credit notes issued, drafts "
                                           "voided, the journal key")
    adjustment_invoice: int | None = Field(None, description="next_invoice_adjustment: the "
                                           "invoice whose line carries the difference")
    adjustment_line_no: int | None = None


class CorrectionDecisionIn(_In):
    note: str = Field("", max_length=2000, description="why (required to reject)")
    actor: Actor


class CorrectionReport(_Out):
    id: int
    status: str
    action: str
    outcome: dict[str, Any]
