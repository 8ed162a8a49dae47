"""The master-data bundle file (YAML or JSON): parsing with located errors, and mapping to the
domain. The document schema (pydantic models) is ``bundle_models``, re-exported here.

Every error names the file, the JSON path inside it and the reason; nothing is returned
unless every file parses.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from hourbridge.domain import model as m
from hourbridge.domain import parties as pt
from hourbridge.domain.aliases import IdAlias, alias_key
from hourbridge.domain.bundle import Bundle, fx_key
from hourbridge.domain.bundle_plan import PART_KEYS
from hourbridge.domain.fx import FxRate, FxRateDate
from hourbridge.domain.problems import Problem

from .bundle_models import (
    AccountsIn,
    AddressIn,
    Amount,
    AssignmentIn,
    AssignmentRemoval,
    BundleDocument,
    CapIn,
    Code,
    ContactIn,
    ContractIn,
    ContractVersionIn,
    ContractVersionRemoval,
    CostRateIn,
    CostRateRemoval,
    Country,
    Currency,
    CustomerIn,
    ElectronicAddressIn,
    EmployeeIn,
    EntityIn,
    ExpensePolicyIn,
    FeeInstallmentIn,
    FxRateIn,
    FxRateValue,
    IdRemoval,
    IntercompanyIn,
    MilestoneIn,
    ProjectIn,
    RateCardIn,
    RateRowIn,
    RetainerIn,
    RoundingIn,
    TaskIn,
    TaskRemoval,
    bundle_json_schema,
)
from .checks import strip_tags

# (field, old value) -> the value's name in docs/GLOSSARY.md; read for one version, and the
# load report warns
OLD_VALUES = {("fx_rate_date", "invoice_date"): "issue_date"}

# the document models live in bundle_models; importers keep using this module
__all__ = [
    "AccountsIn",
    "Amount",
    "AssignmentIn",
    "AssignmentRemoval",
    "BundleDocument",
    "CapIn",
    "Code",
    "ContractIn",
    "ContractVersionIn",
    "ContractVersionRemoval",
    "CostRateIn",
    "CostRateRemoval",
    "Country",
    "Currency",
    "CustomerIn",
    "EmployeeIn",
    "EntityIn",
    "ExpensePolicyIn",
    "FeeInstallmentIn",
    "FxRateIn",
    "FxRateValue",
    "IdRemoval",
    "IntercompanyIn",
    "MilestoneIn",
    "ProjectIn",
    "RateCardIn",
    "RateRowIn",
    "RetainerIn",
    "RoundingIn",
    "TaskIn",
    "TaskRemoval",
    "bundle_json_schema",
    "parse_bundle_files",
    "parse_bundle_text",
    "to_domain",
]


def _json_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in strip_tags(loc):
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
                    str(strip_tags(err["loc"])[-1]) if err["loc"] else "")
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


_REMOVALS = (AssignmentRemoval, ContractVersionRemoval, CostRateRemoval, IdRemoval, TaskRemoval)


def _parts(kind: str, key: str, part: str, items: list[BaseModel],
           removals: set[tuple[str, str, str, str]]) -> list[Any]:
    """The parts to upsert; each removal marker goes to ``removals`` by the part's key."""
    keep: list[Any] = []
    for item in items:
        if isinstance(item, _REMOVALS):
            removals.add((kind, key, part, PART_KEYS[kind][part](item)))
        else:
            keep.append(item)
    return keep


_HUNDRED = Decimal(100)


def _tax_rates(rates: dict[str, Decimal], where: str, warnings: list[str]
               ) -> dict[str, Decimal]:
    """Rates in percent (19) to the domain's fractions (0.19). A rate above 0 and below 1 is
    the old fraction form: no VAT rate is below 1 %, so it is read as a fraction, with a
    warning, for one version."""
    out: dict[str, Decimal] = {}
    for code, value in rates.items():
        if 0 < value < 1:
            warnings.append(
                f"{where}.tax_rates.{code}: {value} is read as the old fraction form "
                f"({value * _HUNDRED} %): write it in percent ({value * _HUNDRED}); the fraction "
                "form is accepted for this version only")
            out[code] = value
        else:
            out[code] = value / _HUNDRED
    return out


def _address(a: AddressIn | None) -> pt.PostalAddress | None:
    return None if a is None else pt.PostalAddress(
        country=a.country, lines=tuple(a.lines), city=a.city, postal_code=a.postal_code,
        subdivision=a.subdivision)


def _endpoint(e: ElectronicAddressIn | None) -> pt.ElectronicAddress | None:
    return None if e is None else pt.ElectronicAddress(e.scheme, e.id)


def _contact(c: ContactIn | None) -> pt.Contact | None:
    return None if c is None else pt.Contact(c.name, c.email, c.phone)


def to_domain(docs: list[tuple[str, BundleDocument]], replace_parts: bool = False) -> Bundle:
    """Merge parsed files into one domain ``Bundle``, remembering where each record came from.

    ``replace_parts``: each record's nested parts become exactly the file's (``--replace``).
    """
    origins: dict[tuple[str, str], str] = {}
    removals: set[tuple[str, str, str, str]] = set()
    ents: list[m.LegalEntity] = []
    custs: list[m.Customer] = []
    emps: list[m.Employee] = []
    projs: list[m.Project] = []
    ks: list[m.Contract] = []
    cards: list[m.RateCard] = []
    rates: list[FxRate] = []
    markups: list[m.IntercompanyMarkup] = []
    aliases: list[IdAlias] = []
    warnings: list[str] = []  # old names the files used (docs/GLOSSARY.md)
    for name, doc in docs:
        for i, e in enumerate(doc.entities):
            origins[("entities", e.code)] = f"{name}: entities[{i}]"
            ents.append(m.LegalEntity(
                code=e.code, name=e.name, country=e.country, currency=e.currency,
                invoice_prefix=e.invoice_prefix, lock_date=e.lock_date, vat_id=e.vat_id,
                legal_registration_id=e.legal_registration_id,
                tax_registration_id=e.tax_registration_id,
                accounts=m.Accounts(**e.accounts.model_dump()), timezone=e.timezone,
                tax_rates=_tax_rates(e.tax_rates, f"{name}: entities[{i}]", warnings),
                address=_address(e.address), electronic_address=_endpoint(e.electronic_address),
                contact=_contact(e.contact),
                bank_accounts=tuple(pt.BankAccount(b.iban, b.bic, b.name, b.currency)
                                    for b in e.bank_accounts),
                payment_terms=pt.PaymentTerms(e.payment_terms.days, e.payment_terms.text),
            ))
        for i, c in enumerate(doc.customers):
            origins[("customers", c.id)] = f"{name}: customers[{i}]"
            custs.append(m.Customer(
                **c.model_dump(exclude={"address", "electronic_address", "contact"}),
                address=_address(c.address), electronic_address=_endpoint(c.electronic_address),
                contact=_contact(c.contact)))
        for i, emp in enumerate(doc.employees):
            origins[("employees", emp.id)] = f"{name}: employees[{i}]"
            emps.append(m.Employee(
                id=emp.id, entity=emp.entity, role=emp.role, department=emp.department,
                timezone=emp.timezone, hours_per_day=emp.hours_per_day,
                cost_rates=tuple(m.CostRate(**r.model_dump()) for r in _parts(
                    "employees", emp.id, "cost_rates", emp.cost_rates, removals)),
            ))
        for i, p in enumerate(doc.projects):
            origins[("projects", p.code)] = f"{name}: projects[{i}]"
            projs.append(m.Project(
                code=p.code, name=p.name, customer=p.customer, entity=p.entity,
                status=m.ProjectStatus(p.status), contract=p.contract,
                tasks=tuple(m.Task(**t.model_dump()) for t in _parts(
                    "projects", p.code, "tasks", p.tasks, removals)),
                assignments=tuple(m.Assignment(**a.model_dump()) for a in _parts(
                    "projects", p.code, "assignments", p.assignments, removals)),
            ))
        for i, k in enumerate(doc.contracts):
            origins[("contracts", k.id)] = f"{name}: contracts[{i}]"
            rate_date = OLD_VALUES.get(("fx_rate_date", k.fx_rate_date), k.fx_rate_date)
            if rate_date != k.fx_rate_date:
                warnings.append(f"{name}: contracts[{i}].fx_rate_date: {k.fx_rate_date!r} is "
                                f"deprecated: name it {rate_date!r}")
            ks.append(m.Contract(
                id=k.id, customer=k.customer, entity=k.entity, currency=k.currency,
                start_date=k.start_date, end_date=k.end_date,
                fx_rate_date=FxRateDate(rate_date), fx_fixed_rate=k.fx_fixed_rate,
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
                    for v in _parts("contracts", k.id, "versions", k.versions, removals)
                ),
                fee_schedule=tuple(m.FeeInstallment(**f.model_dump()) for f in _parts(
                    "contracts", k.id, "fee_schedule", k.fee_schedule, removals)),
                estimate_hours=k.estimate_hours, estimate_cost=k.estimate_cost,
                milestones=tuple(m.Milestone(**ms.model_dump()) for ms in _parts(
                    "contracts", k.id, "milestones", k.milestones, removals)),
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
                detail=m.InvoiceDetail(k.detail),
                timesheet_attachment=k.timesheet_attachment,
                buyer_reference=k.buyer_reference, purchase_order=k.purchase_order,
            ))
        for i, card in enumerate(doc.rate_cards):
            origins[("rate_cards", card.id)] = f"{name}: rate_cards[{i}]"
            cards.append(m.RateCard(
                id=card.id, scope=m.RateScope(card.scope), currency=card.currency,
                scope_id=card.scope_id,
                rows=tuple(m.RateRow(**r.model_dump()) for r in _parts(
                    "rate_cards", card.id, "rows", card.rows, removals)),
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
        for i, a in enumerate(doc.aliases):
            alias = IdAlias(a.source, a.kind, a.external_id, a.code)
            origins[("aliases", alias_key(alias))] = f"{name}: aliases[{i}]"
            aliases.append(alias)
    return Bundle(tuple(ents), tuple(custs), tuple(emps), tuple(projs), tuple(ks), tuple(cards),
                  origins=origins, fx_rates=tuple(rates), intercompany=tuple(markups),
                  aliases=tuple(aliases),
                  removals=frozenset(removals), replace_parts=replace_parts,
                  warnings=tuple(warnings))
