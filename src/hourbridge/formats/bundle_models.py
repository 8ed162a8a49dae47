"""The master-data bundle document: the pydantic models of one bundle file (YAML or JSON)
and its JSON Schema."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from .checks import (
    check_timezone,
    check_vat_id,
    removable,
)
from .party_models import (
    AddressIn,
    BankAccountIn,
    ContactIn,
    Country,
    Currency,
    ElectronicAddressIn,
    PaymentTermsIn,
)

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Timezone = Annotated[str, Field(description="IANA time zone, e.g. Europe/Berlin"),
                     AfterValidator(check_timezone)]
Remove = Annotated[Literal[True], Field(
    description="remove the stored part with this key (the other fields are not given)")]
# pydantic turns a YAML/JSON float into Decimal through its shortest text ("150.1"), so the
# number the user wrote is the number stored; strings are accepted too.
Amount = Annotated[Decimal, Field(description="decimal number (string or number)")]
FxRateValue = Annotated[Decimal, Field(
    gt=0, max_digits=24, decimal_places=8,
    description="1 unit of the from currency = this many units of the to currency (at most 8 "
                "decimals)")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Removal(_Model):
    """A nested part marked ``remove: true``: names only the part's key."""

    remove: Remove


def _vat(value: str | None, info: ValidationInfo) -> str | None:
    if value is None or (info.context and info.context.get("stored")):  # see checks.STORED
        return value
    return check_vat_id(value, info.data.get("country"))


class AccountsIn(_Model):
    receivables: str = "1200"
    unbilled_receivables: str = "1210"
    tax_payable: str = "2200"
    revenue: str = "4000"
    revenue_adjustments: str = "4090"
    deferred_revenue: str = "2400"
    expense_recoveries: str = "4200"
    fx_gain_loss: str = Field("4900", description="FX gains and losses: differences between "
                              "the functional value of WIP and of its invoice, and rounding")
    intercompany_receivable: str = "1300"
    intercompany_revenue: str = "4100"
    intercompany_cost: str = "5100"
    intercompany_payable: str = "2100"


class EntityIn(_Model):
    code: Code
    name: str
    country: Country
    currency: Currency
    invoice_prefix: Code
    lock_date: date | None = None
    vat_id: str | None = None
    legal_registration_id: str | None = Field(
        None, description="company register number (EN 16931 BT-30), e.g. HRB 12345")
    tax_registration_id: str | None = Field(
        None, description="national tax number (EN 16931 BT-32), e.g. a US EIN")
    accounts: AccountsIn = AccountsIn()
    tax_rates: dict[str, Amount] = Field(
        {}, description="tax code -> rate in percent (19 for 19 %); none for an entity "
        "outside VAT. A fraction below 1 (0.19) is the old form: read as 19 %, with a "
        "warning, for one version")
    address: AddressIn | None = None
    electronic_address: ElectronicAddressIn | None = None
    contact: ContactIn | None = None
    bank_accounts: list[BankAccountIn] = []
    payment_terms: PaymentTermsIn = PaymentTermsIn()
    timezone: Timezone = Field(
        "UTC", description="IANA time zone of the entity's day: today, default issue, due and "
        "posting dates, and period locks follow its calendar (default UTC)")

    _vat_id = field_validator("vat_id")(_vat)


class CustomerIn(_Model):
    id: Code
    name: str
    entity: Code
    currency: Currency
    country: Country
    parent: Code | None = None
    vat_id: str | None = None
    tax_exempt: bool = False
    tax_code: str = "standard"
    business: bool = Field(True, description="false for a consumer (no reverse charge)")
    payment_terms_days: int | None = Field(
        None, ge=0, le=365, description="days to pay; none: the entity's payment terms")
    po_number: str | None = None
    address: AddressIn | None = None
    electronic_address: ElectronicAddressIn | None = None
    contact: ContactIn | None = None

    _vat_id = field_validator("vat_id")(_vat)


class CostRateIn(_Model):
    valid_from: date
    rate: Amount
    currency: Currency


class CostRateRemoval(_Removal):
    """A cost rate to remove, by its valid_from."""

    valid_from: date


class EmployeeIn(_Model):
    id: Code
    entity: Code
    role: Code
    department: str = ""
    timezone: Timezone = "UTC"
    hours_per_day: Amount = Decimal(8)
    cost_rates: list[removable(CostRateIn, CostRateRemoval)] = []  # type: ignore[valid-type]


class TaskIn(_Model):
    code: Code
    name: str
    billable: bool = True


class TaskRemoval(_Removal):
    """A task to remove, by its code."""

    code: Code


class AssignmentIn(_Model):
    employee: Code
    valid_from: date
    valid_until: date | None = None
    role: Code | None = None


class AssignmentRemoval(_Removal):
    """An assignment to remove, by employee and valid_from."""

    employee: Code
    valid_from: date


class ProjectIn(_Model):
    code: Code
    name: str
    customer: Code
    entity: Code
    status: Literal["active", "on_hold", "closed"] = "active"
    contract: Code | None = None
    tasks: list[removable(TaskIn, TaskRemoval)] = []  # type: ignore[valid-type]
    assignments: list[removable(AssignmentIn, AssignmentRemoval)] = Field(  # type: ignore[valid-type]
        [], description="keyed by employee and valid_from")


class RoundingIn(_Model):
    increment_minutes: int = Field(1, ge=1, le=1440)
    mode: Literal["up", "nearest", "down"] = "up"
    minimum_minutes: int = Field(0, ge=0, le=1440)
    per: Literal["entry", "day"] = Field(
        "entry", description="round each entry, or an employee's day on the contract")


class ContractVersionIn(_Model):
    version: int = Field(ge=1)
    effective_from: date
    billing_model: Literal["time_and_materials", "fee_only"] = Field(
        "time_and_materials",
        description="time_and_materials bills hours at rates; fee_only bills no hours (a fee "
                    "schedule, milestones or a retainer carry the price)")
    rounding: RoundingIn = RoundingIn()


class ContractVersionRemoval(_Removal):
    """A contract version to remove, by its number."""

    version: int = Field(ge=1)


class FeeInstallmentIn(_Model):
    id: Code
    bill_on: date = Field(description="billed by the first run through this date or later")
    amount: Amount = Field(gt=0)
    description: str = ""


class IdRemoval(_Removal):
    """A fee installment, milestone or rate row to remove, by its id."""

    id: Code


class MilestoneIn(_Model):
    id: Code
    name: str
    amount: Amount = Field(gt=0)


class RetainerIn(_Model):
    monthly_fee: Amount = Field(ge=0, description="billed in advance on the 1st of each month")
    included_hours: Amount = Field(ge=0)
    unused: Literal["expire", "roll_over"] = "expire"
    rollover_limit_hours: Amount | None = Field(None, ge=0)


class CapIn(_Model):
    hours: Amount | None = Field(None, gt=0, description="not-to-exceed billable hours")
    amount: Amount | None = Field(None, gt=0, description="not-to-exceed amount of hourly work")
    over_cap: Literal["hold", "write_down"] = "hold"


class ExpensePolicyIn(_Model):
    billing: Literal["not_billable", "at_cost", "markup"] = "not_billable"
    markup_percent: Amount = Field(Decimal(0), ge=0, le=1000)


class ContractIn(_Model):
    id: Code
    customer: Code
    entity: Code
    currency: Currency
    start_date: date
    end_date: date | None = None
    versions: list[removable(ContractVersionIn, ContractVersionRemoval)] = Field(  # type: ignore[valid-type]
        min_length=1)
    fee_schedule: list[removable(FeeInstallmentIn, IdRemoval)] = []  # type: ignore[valid-type]
    estimate_hours: Amount | None = Field(
        None, gt=0, description="estimate for percent complete of fixed fees")
    estimate_cost: Amount | None = Field(
        None, gt=0, description="cost estimate (at employee cost rates, contract currency); "
                                "when set, percent complete is by cost instead of hours")
    milestones: list[removable(MilestoneIn, IdRemoval)] = []  # type: ignore[valid-type]
    retainer: RetainerIn | None = None
    cap: CapIn | None = None
    expenses: ExpensePolicyIn = ExpensePolicyIn()
    fx_rate_date: Literal["work_date", "issue_date", "fixed", "invoice_date"] = Field(
        "work_date", description="which day's FX rate translates a contract in a foreign "
        "currency: work_date (WIP at each entry's work date), issue_date (WIP at the "
        "approval date), fixed (fx_fixed_rate throughout); invoices at their issue date "
        "unless fixed. invoice_date is the old name of issue_date, read for one more version "
        "(the load report warns)")
    fx_fixed_rate: FxRateValue | None = Field(
        None, description="1 contract currency = this many functional currency units; only "
        "with fx_rate_date fixed")
    correction_policy: Literal["credit_and_rebill", "next_invoice_adjustment"] = Field(
        "credit_and_rebill", description="what a source change to invoiced work proposes")
    detail: Literal["summary", "employee", "entry"] = Field(
        "summary", description="invoice lines of hours: summary (per project, task, role and "
        "rate), employee (and per employee), entry (one line per entry, with date and notes)")
    timesheet_attachment: bool = Field(
        False, description="embed a CSV of the entries billed in the e-invoice (EN 16931 "
        "BG-24 supporting document)")
    buyer_reference: str | None = Field(
        None, min_length=1, max_length=200,
        description="the reference the buyer asks its invoices to quote (EN 16931 BT-10)")
    purchase_order: str | None = Field(
        None, min_length=1, max_length=200,
        description="purchase order number (BT-13); else the customer's po_number")


class RateRowIn(_Model):
    id: Code
    rate: Amount
    valid_from: date
    valid_until: date | None = None
    employee: Code | None = None
    role: Code | None = None
    task: Code | None = None


class RateCardIn(_Model):
    id: Code
    scope: Literal["contract", "project", "customer", "firm"]
    scope_id: Code | None = None
    currency: Currency
    rows: list[removable(RateRowIn, IdRemoval)] = []  # type: ignore[valid-type]


class FxRateIn(_Model):
    """1 ``from_currency`` = ``rate`` ``to_currency``, in force from ``valid_from`` until the
    pair's next rate. Only the declared direction is used (no inverse is derived)."""

    from_currency: Currency = Field(description="the transaction (contract) currency")
    to_currency: Currency = Field(description="the functional currency of an entity")
    valid_from: date
    rate: FxRateValue
class IntercompanyIn(_Model):
    """The transfer-price markup when an employee of ``from`` works on a project of ``to``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_entity: Code = Field(alias="from", description="the selling entity (the employee's)")
    to_entity: Code = Field(alias="to", description="the buying entity (the project's)")
    markup_percent: Amount = Field(description="added to the cost rate, e.g. 10 for 10 %")


class AliasIn(_Model):
    """A tracker's id as a Hourbridge code (issue 11): ``source`` is the intake source (the
    ``--source`` of ``hourbridge ingest --format``, or a connection's name)."""

    source: Code
    kind: Literal["user", "project", "task", "customer"] = Field(
        description="user -> employee id, project -> project code, task -> task code, "
        "customer -> customer id (a CRM account, matched by CRM won deals)")
    external_id: Annotated[str, Field(min_length=1, max_length=200,
                                      description="the tracker's id, as text")]
    code: Code


class BundleDocument(_Model):
    """One bundle file. Every section is optional; records upsert by their key. Nested parts
    (tasks, assignments, cost rates, versions, fee installments, milestones, rate rows) merge
    by their key: parts not named stay; a part with ``remove: true`` is removed."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Hourbridge master-data bundle")
    entities: list[EntityIn] = []
    customers: list[CustomerIn] = []
    employees: list[EmployeeIn] = []
    projects: list[ProjectIn] = []
    contracts: list[ContractIn] = []
    rate_cards: list[RateCardIn] = []
    fx_rates: list[FxRateIn] = []
    intercompany: list[IntercompanyIn] = []
    aliases: list[AliasIn] = []


def bundle_json_schema() -> dict[str, Any]:
    schema = BundleDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://hourbridge.dev/schemas/bundle.v1.json"
    return schema
