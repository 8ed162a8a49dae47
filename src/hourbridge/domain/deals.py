"""CRM won deals (issue 11 item 8): a won opportunity becomes a customer, a project and a
draft contract that waits for a person to confirm its rates. Pure rules; no I/O.

- ``WonDeal`` is what any CRM said about one won opportunity (its account and line items),
  whatever way it arrived (a REST pull or a pushed event read back).
- ``match_customer`` finds the Hourbridge customer an account is, by the strongest evidence
  first: the account id an earlier deal or an alias tied to a customer (its external id),
  then the VAT id, then the exact name. Two candidates at the first level that has any is
  ambiguous and never guessed: the deal waits as an exception for a person to choose.
- ``draft_for`` turns the line items into a draft: a line priced by the hour (its product
  says hours) becomes a task of the project and a contract rate for that task, for every
  role (the unit price after the line's discount), its quantity counted into the budget hours
  (``estimate_hours``); any other line is a fixed fee billed on its service date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .masterdata import MasterData
from .model import (
    BillingModel,
    Contract,
    ContractVersion,
    Customer,
    FeeInstallment,
    Project,
    RateCard,
    RateRow,
    RateScope,
    Task,
)
from .problems import Problem

PROPOSED = "proposed"  # waits for a person to confirm the rates
EXCEPTION = "exception"  # the customer is ambiguous: a person names it when confirming
CONFIRMED = "confirmed"  # a live contract now
REJECTED = "rejected"  # nothing was or will be created
STATES = (PROPOSED, EXCEPTION, CONFIRMED, REJECTED)
OPEN_STATES = (PROPOSED, EXCEPTION)

AMBIGUOUS = "crm_customer_ambiguous"
NO_ENTITY = "crm_entity_needed"
# words in a product's code, name or description that say it is sold by the hour
HOURLY_WORDS = ("hour", "hours", "hrs", "hourly", "stunde", "stunden", "heure", "heures")
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    country: str | None = None  # ISO 3166-1 alpha-2 when the CRM has it
    vat_id: str | None = None


@dataclass(frozen=True, slots=True)
class DealLine:
    id: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    product_code: str = ""
    description: str = ""
    discount_percent: Decimal | None = None
    service_date: date | None = None
    total: Decimal | None = None

    @property
    def hourly(self) -> bool:
        words = set(re.split(r"[^a-z]+", f"{self.product_code} {self.name} "
                                           f"{self.description}".lower()))
        return bool(words & set(HOURLY_WORDS))

    @property
    def rate(self) -> Decimal:
        """The unit price after the line's discount (Salesforce: TotalPrice = Quantity x
        UnitPrice x (1 - Discount %))."""
        off = self.discount_percent or Decimal(0)
        return (self.unit_price * (100 - off) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def amount(self) -> Decimal:
        if self.total is not None:
            return self.total.quantize(Decimal("0.01"), ROUND_HALF_UP)
        return (self.rate * self.quantity).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class WonDeal:
    """One won opportunity as the CRM holds it; ``modstamp`` its change instant (the pull
    cursor), ``currency`` None in a single-currency org."""

    opportunity_id: str
    name: str
    account: Account
    close_date: date
    currency: str | None
    amount: Decimal | None
    lines: tuple[DealLine, ...]
    modstamp: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """The customer an account is (``customer``), or why none was chosen: ``problem`` when
    several could be (``candidates``); neither: a new customer is proposed."""

    customer: str | None
    how: str  # external_id | alias | vat_id | name | new | ambiguous
    candidates: tuple[str, ...] = ()
    problem: Problem | None = None


def _vat(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


def _name(value: str) -> str:
    return " ".join(value.split()).casefold()


def match_customer(md: MasterData, source: str, account: Account,
                   known: tuple[str, ...] = ()) -> Match:
    """``known``: the customers earlier deals of this account were confirmed with."""
    levels: list[tuple[str, list[str]]] = [
        ("external_id", sorted({k for k in known if k in md.customers})),
        ("alias", [a for a in [md.aliases.get((source, "customer", account.id))]
                   if a is not None and a in md.customers]),
        ("vat_id", sorted(c.id for c in md.customers.values()
                          if _vat(account.vat_id) and _vat(c.vat_id) == _vat(account.vat_id))),
        ("name", sorted(c.id for c in md.customers.values()
                        if _name(c.name) == _name(account.name))),
    ]
    for how, found in levels:
        if len(found) == 1:
            return Match(found[0], how)
        if len(found) > 1:
            return Match(None, "ambiguous", tuple(found), Problem(
                AMBIGUOUS, f"account {account.id} ({account.name}) matches customers "
                f"{', '.join(found)} by {how.replace('_', ' ')}: name the customer when "
                "confirming", f"deals/{account.id}", "customer"))
    return Match(None, "new")


def code_for(prefix: str, external_id: str) -> str:
    return _SLUG.sub("-", f"{prefix}-{external_id}")[:64]


@dataclass(frozen=True, slots=True)
class Draft:
    """What confirming a deal loads: the customer when it is new, the project, the contract
    and its rate card (rates as proposed, or as the person changed them)."""

    customer: Customer | None
    project: Project
    contract: Contract
    rate_card: RateCard | None


def _task_code(line: DealLine, n: int) -> str:
    return (_SLUG.sub("-", line.product_code).strip("-")[:32] or f"LINE-{n}").upper()


def draft_for(deal: WonDeal, md: MasterData, source: str, *, customer: str | None,
              entity: str | None, rates: dict[str, Decimal] | None = None) -> Draft:
    """The draft of ``deal`` for ``customer`` (None: a new one from the account) at
    ``entity`` (None: the customer's, else the only entity there is); ``rates`` overrides
    the proposed rate of a line (by line id). Raises ``ValueError`` naming what is missing."""
    existing = md.customers.get(customer) if customer else None
    if customer and existing is None:
        raise ValueError(f"unknown customer {customer!r}")
    ent = entity or (existing.entity if existing else None)
    if ent is None and len(md.entities) == 1:
        ent = next(iter(md.entities))
    if ent is None or ent not in md.entities:
        raise ValueError(f"{NO_ENTITY}: name the legal entity the contract is with "
                         f"(one of {', '.join(sorted(md.entities)) or 'none loaded'})")
    legal = md.entities[ent]
    # the deal's own currency: a customer billed in another is refused by the load's check
    # (contract and customer currencies must agree), never converted silently
    currency = deal.currency or (existing.currency if existing else legal.currency)
    new_customer = None
    if existing is None:
        new_customer = Customer(
            id=code_for(source.upper()[:8], deal.account.id), name=deal.account.name[:200],
            entity=ent, currency=deal.currency or legal.currency,
            country=deal.account.country or legal.country, vat_id=deal.account.vat_id)
    cust_id = existing.id if existing else new_customer.id  # type: ignore[union-attr]
    code = code_for(source.upper()[:8], deal.opportunity_id)
    start = min([deal.close_date] + [ln.service_date for ln in deal.lines
                                      if ln.service_date is not None])
    chosen = rates or {}
    roles = sorted({e.role for e in md.employees.values() if e.role})
    tasks: list[Task] = []
    rows: list[RateRow] = []
    fees: list[FeeInstallment] = []
    budget = Decimal(0)
    for n, line in enumerate(deal.lines, start=1):
        if line.hourly:
            task = _task_code(line, n)
            if any(t.code == task for t in tasks):
                task = f"{task[:28]}-{n}"
            tasks.append(Task(task, line.name[:200] or task))
            price = chosen.get(line.id, line.rate)
            # the sold price is the task's whatever the role: rows are ranked by specificity
            # before scope (domain/rating), so a firm card's role rate would beat a contract
            # task rate; a role+task row for each role there is beats it (a named person's
            # own rate still wins, by that design)
            rows.append(RateRow(id=code_for("R", line.id), task=task, valid_from=start,
                                rate=price))
            rows += [RateRow(id=code_for("R", f"{line.id}-{role}"), task=task, role=role,
                             valid_from=start, rate=price) for role in roles]
            budget += line.quantity
        else:
            fees.append(FeeInstallment(
                id=code_for("F", line.id), bill_on=line.service_date or start,
                amount=chosen.get(line.id, line.amount), description=line.name[:200]))
    if not tasks:
        tasks.append(Task("WORK", "Work"))
    model = (BillingModel.TIME_AND_MATERIALS if rows else BillingModel.FEE_ONLY).value
    contract = Contract(id=code, customer=cust_id, entity=ent, currency=currency,
                        start_date=start,
                        versions=(ContractVersion(1, start, billing_model=model),),
                        fee_schedule=tuple(fees),
                        estimate_hours=budget if budget else None)
    project = Project(code=code, name=deal.name[:200] or code, customer=cust_id, entity=ent,
                      contract=code, tasks=tuple(tasks))
    card = RateCard(id=code, scope=RateScope.CONTRACT, currency=currency, scope_id=code,
                    rows=tuple(rows)) if rows else None
    return Draft(new_customer, project, contract, card)


def deal_json(deal: WonDeal) -> dict[str, object]:
    """The deal as stored with its draft (plain JSON: decimals and dates as text)."""
    def text(v: object) -> object:
        return None if v is None else str(v)
    return {"opportunity_id": deal.opportunity_id, "name": deal.name,
            "account": {"id": deal.account.id, "name": deal.account.name,
                        "country": deal.account.country, "vat_id": deal.account.vat_id},
            "close_date": deal.close_date.isoformat(), "currency": deal.currency,
            "amount": text(deal.amount), "modstamp": deal.modstamp,
            "lines": [{"id": ln.id, "name": ln.name, "quantity": str(ln.quantity),
                       "unit_price": str(ln.unit_price), "product_code": ln.product_code,
                       "description": ln.description,
                       "discount_percent": text(ln.discount_percent),
                       "service_date": text(ln.service_date), "total": text(ln.total),
                       "hourly": ln.hourly, "rate": str(ln.rate)} for ln in deal.lines]}


def deal_from_json(j: dict[str, object]) -> WonDeal:
    def dec(v: object) -> Decimal | None:
        return None if v is None else Decimal(str(v))

    def day(v: object) -> date | None:
        return None if v is None else date.fromisoformat(str(v))
    a = j["account"]
    assert isinstance(a, dict)
    lines = j["lines"]
    assert isinstance(lines, list)
    return WonDeal(
        str(j["opportunity_id"]), str(j["name"]),
        Account(a["id"], a["name"], a.get("country"), a.get("vat_id")),
        date.fromisoformat(str(j["close_date"])),
        None if j.get("currency") is None else str(j["currency"]), dec(j.get("amount")),
        tuple(DealLine(ln["id"], ln["name"], Decimal(ln["quantity"]), Decimal(ln["unit_price"]),
                       ln.get("product_code") or "", ln.get("description") or "",
                       dec(ln.get("discount_percent")), day(ln.get("service_date")),
                       dec(ln.get("total"))) for ln in lines),
        str(j.get("modstamp") or ""))
