"""Request and response models of the ``api/v1/invoices.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from hourbridge.domain.reasons import VOID_REASONS
from hourbridge.formats.bundle import Code

from .common import (
    MAX_IDS_PER_REQUEST,
    Actor,
    CodedReason,
    Decimal_,
    Id,
    In,
    Money,
    Out,
    ReasonCode,
    reason_codes,
)


class Invoice(Out):
    id: int
    kind: Literal["invoice", "credit_note"] = "invoice"
    credits: int | None = Field(None, description="on a credit note: the invoice it credits")
    credit_mode: Literal["rebill", "write_off"] | None = None
    reason: str | None = None
    number: str | None
    status: str
    payment: Literal["paid", "partial", "unpaid", "unapplied", "applied", "refunded",
                     "settled"] | None = Field(
        None, description="an issued or posted invoice is unpaid, partial once a payment is "
        "read back from its ERP, paid when the ERP says it is paid in full; a credit note is "
        "unapplied (it still reduces what the customer owes), partial, or in full applied "
        "(to invoices), refunded (money paid back) or settled (both); none on a draft or a "
        "void")
    paid_amount: Money | None = Field(None, description="paid so far (payments read back "
                                      "from the ERPs); none on a draft or a void")
    open_amount: Money | None = Field(None, description="still owed: total less paid (a "
                                      "credit note's is negative); none on a draft or a void")
    applied_amount: Money | None = Field(None, description="offsets: on an invoice, credit "
                                         "notes applied to it; on a credit note, what was "
                                         "applied to invoices")
    refunded_amount: Money | None = Field(None, description="on a credit note: the money "
                                          "paid back to the customer")
    last_paid_on: dt.date | None = Field(None, description="the last payment's date")
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



class LineEntry(Out):
    entry: int
    seconds: int



class InvoiceLine(Out):
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
    original_amount: Money | None = Field(
        None, description="expenses spent in another currency than the invoice's: what was "
        "spent, in original_currency's minor units")
    original_currency: str | None = Field(None, description="ISO 4217 code of original_amount")
    original_rate: Decimal_ | None = Field(
        None, description="the rate original_amount was converted at: 1 original_currency = "
        "original_rate invoice currency (the markup, if any, applies after conversion)")
    entries: list[LineEntry] = Field(description="the time entries this line bills")



class InvoiceDetail(Invoice):
    lines: list[InvoiceLine]



class IssueIn(In):
    invoice_ids: list[Id] = Field([], max_length=MAX_IDS_PER_REQUEST)
    all: bool = Field(False, description="issue every draft (of `entity`, if given)")
    entity: Code | None = None
    issue_date: dt.date | None = Field(None, description="default: the entity's today")
    actor: Actor = None

    @model_validator(mode="after")
    def _one_selection(self) -> IssueIn:
        if bool(self.invoice_ids) == self.all:
            raise ValueError("give either invoice_ids or all: true")
        return self



class Issued(Out):
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



class IssueReport(Out):
    issued: list[Issued]
    count: int



class VoidIn(CodedReason):
    reason_code_set = VOID_REASONS
    reason: ReasonCode = Field(description=reason_codes(VOID_REASONS, "kept on the invoice"))
    void_date: dt.date | None = Field(
        None, description="default: the entity's today; the reversal's date")
    actor: Actor = None



class VoidReport(Out):
    id: int
    number: str | None = Field(description="kept: a void stays in the sequence")
    status: Literal["void"]
    was: Literal["draft", "issued"]
    entity: str
    entries_released: int
    seconds_released: int
    wip_restored: Money
    currency: str = Field(description="the invoice's currency")
    journal_key: str | None = Field(description="the reversing journal entry (issued only)")



class SequenceCheck(Out):
    entity: str
    last_number: int
    documents: int
    voids: int
    missing: list[int]
    duplicated: list[int]
    gapless: bool

