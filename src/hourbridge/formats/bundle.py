"""The master-data bundle file (YAML or JSON): schema, parsing with located errors, mapping.

Every error names the file, the JSON path inside it and the reason; nothing is returned
unless every file parses.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hourbridge.domain import model as m
from hourbridge.domain.bundle import Bundle, fx_key
from hourbridge.domain.fx import FxRate, FxRateDate
from hourbridge.domain.problems import Problem

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
# pydantic turns a YAML/JSON float into Decimal through its shortest text ("150.1"), so the
# number the user wrote is the number stored; strings are accepted too.
Amount = Annotated[Decimal, Field(description="decimal number (string or number)")]
FxRateValue = Annotated[Decimal, Field(
    gt=0, max_digits=24, decimal_places=8,
    description="1 unit of the from currency = this many units of the to currency (at most 8 "
                "decimals)")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    tax_rates: dict[str, Amount] = {}


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
    payment_terms_days: int = Field(30, ge=0, le=365)
    po_number: str | None = None


class CostRateIn(_Model):
    valid_from: date
    rate: Amount
    currency: Currency


class EmployeeIn(_Model):
    id: Code
    entity: Code
    role: Code
    department: str = ""
    timezone: str = "UTC"
    hours_per_day: Amount = Decimal(8)
    cost_rates: list[CostRateIn] = []


class TaskIn(_Model):
    code: Code
    name: str
    billable: bool = True


class AssignmentIn(_Model):
    employee: Code
    valid_from: date
    valid_until: date | None = None
    role: Code | None = None


class ProjectIn(_Model):
    code: Code
    name: str
    customer: Code
    entity: Code
    status: Literal["active", "on_hold", "closed"] = "active"
    contract: Code | None = None
    tasks: list[TaskIn] = []
    assignments: list[AssignmentIn] = []


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


class FeeInstallmentIn(_Model):
    id: Code
    bill_on: date = Field(description="billed by the first run through this date or later")
    amount: Amount = Field(gt=0)
    description: str = ""


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
    versions: list[ContractVersionIn] = Field(min_length=1)
    fee_schedule: list[FeeInstallmentIn] = []
    estimate_hours: Amount | None = Field(
        None, gt=0, description="estimate for percent complete of fixed fees")
    estimate_cost: Amount | None = Field(
        None, gt=0, description="cost estimate (at employee cost rates, contract currency); "
                                "when set, percent complete is by cost instead of hours")
    milestones: list[MilestoneIn] = []
    retainer: RetainerIn | None = None
    cap: CapIn | None = None
    expenses: ExpensePolicyIn = ExpensePolicyIn()
    fx_rate_date: Literal["work_date", "invoice_date", "fixed"] = Field(
        "work_date", description="which day's FX rate translates a contract in a foreign "
        "currency: work_date (WIP at each entry's work date), invoice_date (WIP at the "
        "approval date), fixed (fx_fixed_rate throughout); invoices at their issue date "
        "unless fixed")
    fx_fixed_rate: FxRateValue | None = Field(
        None, description="1 contract currency = this many functional currency units; only "
        "with fx_rate_date fixed")
    correction_policy: Literal["credit_and_rebill", "next_invoice_adjustment"] = Field(
        "credit_and_rebill", description="what a source change to invoiced work proposes")


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
    rows: list[RateRowIn] = []


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


class BundleDocument(_Model):
    """One bundle file. Every section is optional; records upsert by their key."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Hourbridge master-data bundle")
    entities: list[EntityIn] = []
    customers: list[CustomerIn] = []
    employees: list[EmployeeIn] = []
    projects: list[ProjectIn] = []
    contracts: list[ContractIn] = []
    rate_cards: list[RateCardIn] = []
    fx_rates: list[FxRateIn] = []
    intercompany: list[IntercompanyIn] = []


def bundle_json_schema() -> dict[str, Any]:
    schema = BundleDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://hourbridge.dev/schemas/bundle.v1.json"
    return schema


def _json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_bundle_text(text: str, name: str) -> BundleDocument | list[Problem]:
    try:
        data = (json.loads(text) if name.lower().endswith(".json")
                else yaml.safe_load(text))
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if name.lower().endswith(".json") else "YAML"
        reason = str(exc).replace("\n", " ")
        return [Problem("invalid_format", f"not valid {kind}: {reason}", name)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return [Problem("invalid_format", "a bundle is a mapping of sections", name)]
    try:
        return BundleDocument.model_validate(data)
    except ValidationError as exc:
        return [
            Problem("invalid_field", _message(err), f"{name}: {_json_path(tuple(err['loc']))}",
                    str(err["loc"][-1]) if err["loc"] else "")
            for err in exc.errors()
        ]


def _message(err: Any) -> str:
    """pydantic's reason, with the value that was given (unless the value is a whole record)."""
    given = err.get("input")
    if err["type"] == "missing" or isinstance(given, dict | list):
        return str(err["msg"])
    return f"{err['msg']} (got {given!r})"


def parse_bundle_files(paths: list[Path]) -> tuple[list[tuple[str, BundleDocument]], list[Problem]]:
    docs: list[tuple[str, BundleDocument]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem("invalid_format", f"cannot read: {exc}", str(path)))
            continue
        parsed = parse_bundle_text(text, str(path))
        if isinstance(parsed, list):
            problems.extend(parsed)
        else:
            docs.append((str(path), parsed))
    return docs, problems


def to_domain(docs: list[tuple[str, BundleDocument]]) -> Bundle:
    """Merge parsed files into one domain ``Bundle``, remembering where each record came from."""
    origins: dict[tuple[str, str], str] = {}
    ents: list[m.LegalEntity] = []
    custs: list[m.Customer] = []
    emps: list[m.Employee] = []
    projs: list[m.Project] = []
    ks: list[m.Contract] = []
    cards: list[m.RateCard] = []
    rates: list[FxRate] = []
    markups: list[m.IntercompanyMarkup] = []
    for name, doc in docs:
        for i, e in enumerate(doc.entities):
            origins[("entities", e.code)] = f"{name}: entities[{i}]"
            ents.append(m.LegalEntity(
                code=e.code, name=e.name, country=e.country, currency=e.currency,
                invoice_prefix=e.invoice_prefix, lock_date=e.lock_date, vat_id=e.vat_id,
                legal_registration_id=e.legal_registration_id,
                tax_registration_id=e.tax_registration_id,
                accounts=m.Accounts(**e.accounts.model_dump()), tax_rates=dict(e.tax_rates),
            ))
        for i, c in enumerate(doc.customers):
            origins[("customers", c.id)] = f"{name}: customers[{i}]"
            custs.append(m.Customer(**c.model_dump()))
        for i, emp in enumerate(doc.employees):
            origins[("employees", emp.id)] = f"{name}: employees[{i}]"
            emps.append(m.Employee(
                id=emp.id, entity=emp.entity, role=emp.role, department=emp.department,
                timezone=emp.timezone, hours_per_day=emp.hours_per_day,
                cost_rates=tuple(m.CostRate(**r.model_dump()) for r in emp.cost_rates),
            ))
        for i, p in enumerate(doc.projects):
            origins[("projects", p.code)] = f"{name}: projects[{i}]"
            projs.append(m.Project(
                code=p.code, name=p.name, customer=p.customer, entity=p.entity,
                status=m.ProjectStatus(p.status), contract=p.contract,
                tasks=tuple(m.Task(**t.model_dump()) for t in p.tasks),
                assignments=tuple(m.Assignment(**a.model_dump()) for a in p.assignments),
            ))
        for i, k in enumerate(doc.contracts):
            origins[("contracts", k.id)] = f"{name}: contracts[{i}]"
            ks.append(m.Contract(
                id=k.id, customer=k.customer, entity=k.entity, currency=k.currency,
                start_date=k.start_date, end_date=k.end_date,
                fx_rate_date=FxRateDate(k.fx_rate_date), fx_fixed_rate=k.fx_fixed_rate,
                versions=tuple(
                    m.ContractVersion(
                        version=v.version, effective_from=v.effective_from,
                        billing_model=v.billing_model,
                        rounding=m.RoundingPolicy(
                            increment_minutes=v.rounding.increment_minutes,
                            mode=m.RoundingMode(v.rounding.mode),
                            minimum_minutes=v.rounding.minimum_minutes,
                            per=m.RoundingPer(v.rounding.per),
                        ),
                    )
                    for v in k.versions
                ),
                fee_schedule=tuple(m.FeeInstallment(**f.model_dump()) for f in k.fee_schedule),
                estimate_hours=k.estimate_hours, estimate_cost=k.estimate_cost,
                milestones=tuple(m.Milestone(**ms.model_dump()) for ms in k.milestones),
                retainer=None if k.retainer is None else m.Retainer(
                    monthly_fee=k.retainer.monthly_fee,
                    included_hours=k.retainer.included_hours,
                    unused=m.UnusedHours(k.retainer.unused),
                    rollover_limit_hours=k.retainer.rollover_limit_hours),
                cap=None if k.cap is None else m.Cap(
                    hours=k.cap.hours, amount=k.cap.amount, over_cap=m.OverCap(k.cap.over_cap)),
                expenses=m.ExpensePolicy(m.ExpenseBilling(k.expenses.billing),
                                         k.expenses.markup_percent),
                correction_policy=k.correction_policy,
            ))
        for i, card in enumerate(doc.rate_cards):
            origins[("rate_cards", card.id)] = f"{name}: rate_cards[{i}]"
            cards.append(m.RateCard(
                id=card.id, scope=m.RateScope(card.scope), currency=card.currency,
                scope_id=card.scope_id,
                rows=tuple(m.RateRow(**r.model_dump()) for r in card.rows),
            ))
        for i, r in enumerate(doc.fx_rates):
            rate = FxRate(r.from_currency, r.to_currency, r.valid_from, r.rate)
            origins[("fx_rates", fx_key(rate))] = f"{name}: fx_rates[{i}]"
            rates.append(rate)
        for i, ic in enumerate(doc.intercompany):
            origins[("intercompany", f"{ic.from_entity}>{ic.to_entity}")] = (
                f"{name}: intercompany[{i}]")
            markups.append(m.IntercompanyMarkup(ic.from_entity, ic.to_entity,
                                                ic.markup_percent))
    return Bundle(tuple(ents), tuple(custs), tuple(emps), tuple(projs), tuple(ks), tuple(cards),
                  origins=origins, fx_rates=tuple(rates), intercompany=tuple(markups))
