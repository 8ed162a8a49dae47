"""The canonical model v1 (DESIGN §3) as frozen dataclasses: what every adapter maps to."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .fx import FxRateDate
from .parties import BankAccount, Contact, ElectronicAddress, PaymentTerms, PostalAddress


class ProjectStatus(enum.StrEnum):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Approval(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Billing(enum.StrEnum):
    UNBILLED = "unbilled"
    ON_DRAFT = "on_draft"
    INVOICED = "invoiced"
    CREDITED = "credited"
    WRITTEN_OFF = "written_off"
    NON_BILLABLE = "non_billable"
    # hours of a fee-only contract version: the fee schedule or milestones carry the price,
    # the hours count towards percent complete but are never invoiced by the hour
    COVERED = "covered"


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    HELD = "held"
    ISSUED = "issued"
    POSTED = "posted"
    PAID = "paid"
    VOID = "void"


class RoundingMode(enum.StrEnum):
    UP = "up"
    NEAREST = "nearest"
    DOWN = "down"


class RoundingPer(enum.StrEnum):
    """What is rounded: each entry, or an employee's day on a contract (domain.dayrounding)."""

    ENTRY = "entry"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class Accounts:
    """Chart-of-accounts mapping of one legal entity."""

    receivables: str = "1200"
    unbilled_receivables: str = "1210"
    tax_payable: str = "2200"
    revenue: str = "4000"
    revenue_adjustments: str = "4090"
    # fees billed ahead of the revenue they carry (fixed fees, milestones, retainer fees) wait
    # here until `revenue run` recognises them; a debit balance is a contract asset
    deferred_revenue: str = "2400"
    expense_recoveries: str = "4200"
    # realised differences between the functional value of WIP and of the invoice, and
    # functional-currency rounding of foreign-currency entries (see domain.fx)
    fx_gain_loss: str = "4900"
    # intercompany charges (domain.intercompany): the selling entity's side, then the buyer's
    intercompany_receivable: str = "1300"
    intercompany_revenue: str = "4100"
    intercompany_cost: str = "5100"
    intercompany_payable: str = "2100"


@dataclass(frozen=True, slots=True)
class LegalEntity:
    code: str
    name: str
    country: str
    currency: str
    invoice_prefix: str
    lock_date: date | None = None
    vat_id: str | None = None
    # EN 16931 BT-30 (a company register number) and BT-32 (a national tax number): an
    # entity without a VAT id still identifies itself on e-invoices (BR-CO-26)
    legal_registration_id: str | None = None
    tax_registration_id: str | None = None
    accounts: Accounts = field(default_factory=Accounts)
    # tax code -> rate as a fraction (0.19); "exempt" and "zero" are always 0. The bundle
    # writes rates in percent (19); the edge divides.
    tax_rates: dict[str, Decimal] = field(default_factory=dict)
    # IANA time zone whose calendar gives the entity's "today" (domain.localday). Entities
    # stored before entities had one, and bundles that name none, keep UTC's day.
    timezone: str = "UTC"
    # what invoices show and how they are paid (EN 16931 BG-5, BT-34, BG-6, BG-17, BT-20)
    address: PostalAddress | None = None
    electronic_address: ElectronicAddress | None = None
    contact: Contact | None = None
    bank_accounts: tuple[BankAccount, ...] = ()
    payment_terms: PaymentTerms = field(default_factory=PaymentTerms)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    entity: str
    currency: str
    country: str
    parent: str | None = None
    vat_id: str | None = None
    tax_exempt: bool = False
    tax_code: str = "standard"
    business: bool = True  # a consumer is taxed where the firm is (no reverse charge)
    # None: the issuing entity's payment terms apply
    payment_terms_days: int | None = None
    po_number: str | None = None
    address: PostalAddress | None = None  # BG-8
    electronic_address: ElectronicAddress | None = None  # BT-49
    contact: Contact | None = None  # BG-9


@dataclass(frozen=True, slots=True)
class CostRate:
    valid_from: date
    rate: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Employee:
    id: str
    entity: str
    role: str
    department: str = ""
    timezone: str = "UTC"
    hours_per_day: Decimal = Decimal(8)
    cost_rates: tuple[CostRate, ...] = ()


@dataclass(frozen=True, slots=True)
class Task:
    code: str
    name: str
    billable: bool = True


@dataclass(frozen=True, slots=True)
class Assignment:
    employee: str
    valid_from: date
    valid_until: date | None = None
    role: str | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class Project:
    code: str
    name: str
    customer: str
    entity: str
    status: ProjectStatus = ProjectStatus.ACTIVE
    contract: str | None = None
    tasks: tuple[Task, ...] = ()
    assignments: tuple[Assignment, ...] = ()

    def task(self, code: str) -> Task | None:
        return next((t for t in self.tasks if t.code == code), None)

    def assignment_on(self, employee: str, day: date) -> Assignment | None:
        return next(
            (a for a in self.assignments if a.employee == employee and a.covers(day)), None
        )


@dataclass(frozen=True, slots=True)
class RoundingPolicy:
    """How worked time becomes billable quantity; worked time itself is never rewritten."""

    increment_minutes: int = 1
    mode: RoundingMode = RoundingMode.UP
    minimum_minutes: int = 0  # per entry, or per day when ``per`` is day
    per: RoundingPer = RoundingPer.ENTRY


class BillingModel(enum.StrEnum):
    """How a contract version prices hours: by the hour, or not at all (a fee covers them)."""

    TIME_AND_MATERIALS = "time_and_materials"
    FEE_ONLY = "fee_only"


@dataclass(frozen=True, slots=True)
class ContractVersion:
    version: int
    effective_from: date
    rounding: RoundingPolicy = field(default_factory=RoundingPolicy)
    billing_model: str = BillingModel.TIME_AND_MATERIALS.value


@dataclass(frozen=True, slots=True)
class FeeInstallment:
    """One amount of a fixed-fee schedule, billed by the first run on or after ``bill_on``."""

    id: str
    bill_on: date
    amount: Decimal
    description: str = ""


@dataclass(frozen=True, slots=True)
class Milestone:
    """Billed once, by the first run after it is marked achieved (API/CLI, as a PSA sends it)."""

    id: str
    name: str
    amount: Decimal


class UnusedHours(enum.StrEnum):
    EXPIRE = "expire"
    ROLL_OVER = "roll_over"


@dataclass(frozen=True, slots=True)
class Retainer:
    """A monthly fee billed in advance that includes hours; hours beyond them (after any
    rolled-over balance) bill at contract rates."""

    monthly_fee: Decimal
    included_hours: Decimal
    unused: UnusedHours = UnusedHours.EXPIRE
    rollover_limit_hours: Decimal | None = None  # the most a month may carry forward


class OverCap(enum.StrEnum):
    HOLD = "hold"  # work beyond the cap stays unbilled until the cap is raised or approved
    WRITE_DOWN = "write_down"  # billed, with a visible negative line bringing it to the cap


@dataclass(frozen=True, slots=True)
class Cap:
    """A not-to-exceed cap over the contract's life on hourly work (hours and/or amount)."""

    hours: Decimal | None = None
    amount: Decimal | None = None
    over_cap: OverCap = OverCap.HOLD


class ExpenseBilling(enum.StrEnum):
    NOT_BILLABLE = "not_billable"
    AT_COST = "at_cost"
    MARKUP = "markup"


@dataclass(frozen=True, slots=True)
class ExpensePolicy:
    billing: ExpenseBilling = ExpenseBilling.NOT_BILLABLE
    markup_percent: Decimal = Decimal(0)


class InvoiceDetail(enum.StrEnum):
    """How finely a contract's invoices show its hours (``domain.billing.drafts``)."""

    SUMMARY = "summary"  # per project, task, role and rate
    EMPLOYEE = "employee"  # and per employee
    ENTRY = "entry"  # one line per entry, with its date and notes


@dataclass(frozen=True, slots=True)
class Contract:
    id: str
    customer: str
    entity: str
    currency: str
    start_date: date
    end_date: date | None = None
    versions: tuple[ContractVersion, ...] = ()
    fee_schedule: tuple[FeeInstallment, ...] = ()
    # estimate for percent complete of fixed fees (revenue recognition); hours of all work
    estimate_hours: Decimal | None = None
    estimate_cost: Decimal | None = None  # when set, percent complete is by cost
    milestones: tuple[Milestone, ...] = ()
    retainer: Retainer | None = None
    cap: Cap | None = None
    expenses: ExpensePolicy = field(default_factory=ExpensePolicy)
    # which day's FX rate translates the contract currency into the entity's functional
    # currency: "work_date", "issue_date" or "fixed" (then fx_fixed_rate); see domain.fx
    fx_rate_date: FxRateDate = FxRateDate.WORK_DATE
    fx_fixed_rate: Decimal | None = None
    # what a source change to already invoiced work proposes: credit_and_rebill (a credit
    # note of the entry's billed seconds, the new revision bills again) or
    # next_invoice_adjustment (the next run adds a line with the priced difference)
    correction_policy: str = "credit_and_rebill"
    detail: InvoiceDetail = InvoiceDetail.SUMMARY
    # a CSV of the entries billed rides along in the e-invoice (BG-24, domain.einvoice)
    timesheet_attachment: bool = False
    # what the buyer asks its invoices to quote: BT-10 buyer reference (on Peppol, with
    # BT-13, PEPPOL-EN16931-R003) and BT-13 purchase order (else the customer's po_number)
    buyer_reference: str | None = None
    purchase_order: str | None = None

    def covers(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def version_on(self, day: date) -> ContractVersion | None:
        """The version in force on ``day``: the latest whose effective date is not after it."""
        best: ContractVersion | None = None
        for v in self.versions:
            if v.effective_from <= day and (best is None or v.effective_from > best.effective_from):
                best = v
        return best


@dataclass(frozen=True, slots=True)
class IntercompanyMarkup:
    """Transfer-price markup on cost when an employee of ``seller`` works for ``buyer``."""

    seller: str
    buyer: str
    markup_percent: Decimal


class RateScope(enum.StrEnum):
    CONTRACT = "contract"
    PROJECT = "project"
    CUSTOMER = "customer"
    FIRM = "firm"


@dataclass(frozen=True, slots=True)
class RateRow:
    id: str
    rate: Decimal
    valid_from: date
    valid_until: date | None = None
    employee: str | None = None
    role: str | None = None
    task: str | None = None

    def in_force(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class RateCard:
    id: str
    scope: RateScope
    currency: str
    scope_id: str | None = None
    rows: tuple[RateRow, ...] = ()


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """A canonical time entry; ``id`` is the store's, the identity is source + external id."""

    source: str
    external_id: str
    employee: str
    project: str
    task: str
    work_date: date
    worked_seconds: int
    billable_seconds: int
    billable: bool
    notes: str = ""
    revision: int = 1
    approval: Approval = Approval.SUBMITTED
    billing: Billing = Billing.UNBILLED
    locked: bool = False
    id: int | None = None
