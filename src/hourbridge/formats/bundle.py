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
from hourbridge.domain.bundle import Bundle
from hourbridge.domain.problems import Problem

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code")]
# pydantic turns a YAML/JSON float into Decimal through its shortest text ("150.1"), so the
# number the user wrote is the number stored; strings are accepted too.
Amount = Annotated[Decimal, Field(description="decimal number (string or number)")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountsIn(_Model):
    receivables: str = "1200"
    unbilled_receivables: str = "1210"
    tax_payable: str = "2200"
    revenue: str = "4000"
    revenue_adjustments: str = "4090"


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


class ContractVersionIn(_Model):
    version: int = Field(ge=1)
    effective_from: date
    billing_model: Literal["time_and_materials"] = "time_and_materials"
    rounding: RoundingIn = RoundingIn()


class ContractIn(_Model):
    id: Code
    customer: Code
    entity: Code
    currency: Currency
    start_date: date
    end_date: date | None = None
    versions: list[ContractVersionIn] = Field(min_length=1)
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


class BundleDocument(_Model):
    """One bundle file. Every section is optional; records upsert by their key."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Hourbridge master-data bundle")
    entities: list[EntityIn] = []
    customers: list[CustomerIn] = []
    employees: list[EmployeeIn] = []
    projects: list[ProjectIn] = []
    contracts: list[ContractIn] = []
    rate_cards: list[RateCardIn] = []


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
                versions=tuple(
                    m.ContractVersion(
                        version=v.version, effective_from=v.effective_from,
                        billing_model=v.billing_model,
                        rounding=m.RoundingPolicy(
                            increment_minutes=v.rounding.increment_minutes,
                            mode=m.RoundingMode(v.rounding.mode),
                            minimum_minutes=v.rounding.minimum_minutes,
                        ),
                    )
                    for v in k.versions
                ),
                correction_policy=k.correction_policy,
            ))
        for i, card in enumerate(doc.rate_cards):
            origins[("rate_cards", card.id)] = f"{name}: rate_cards[{i}]"
            cards.append(m.RateCard(
                id=card.id, scope=m.RateScope(card.scope), currency=card.currency,
                scope_id=card.scope_id,
                rows=tuple(m.RateRow(**r.model_dump()) for r in card.rows),
            ))
    return Bundle(tuple(ents), tuple(custs), tuple(emps), tuple(projs), tuple(ks), tuple(cards),
                  origins)
