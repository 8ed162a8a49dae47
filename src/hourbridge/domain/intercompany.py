"""Intercompany charges: an employee of one legal entity works on another entity's project.

The employee's entity (the seller) charges the project's entity (the buyer) for the worked
time at a transfer price: the employee's cost rate in force on the work date plus the markup
configured for the pair (bundle section ``intercompany``; a pair not configured charges at
cost, markup 0). Worked time is charged, billable to the customer or not: the seller delivered
the hours either way. An employee without a cost rate on the day, or with one in another
currency than the seller's, has no transfer price: ``no_transfer_price``, never a guess.

Accounting, one journal entry per side:

* seller: Dr intercompany receivable / Cr intercompany revenue;
* buyer:  Dr intercompany cost (cost of services) / Cr intercompany payable.

The charge is in the seller's functional currency. When the buyer's functional currency
differs, the buyer books it as a foreign-currency liability: the seller's amount, translated
at the FX rate in force on the buyer's posting date (``fx_rate``). Without such a rate the
buyer's side waits (``awaiting_fx``); nothing is guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .fx import translate
from .ledger import JournalEntry, Posting, balanced
from .masterdata import MasterData
from .model import CostRate, Employee, LegalEntity
from .money import _CALC, time_amount
from .problems import Problem

BOOKED = "booked"
AWAITING_FX = "awaiting_fx"
HUNDRED = Decimal(100)
PRICE_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class IntercompanyCharge:
    entry_id: int
    seller: str
    buyer: str
    employee: str
    project: str
    work_date: date
    seconds: int
    cost_rate: Decimal
    markup_percent: Decimal
    transfer_price: Decimal  # per hour: cost rate x (1 + markup / 100), to 8 decimals
    amount: Decimal  # seconds at the transfer price, rounded once to the minor unit
    currency: str  # the seller's functional currency
    buyer_currency: str
    fx_rate: Decimal | None = None  # seller -> buyer currency, when they differ

    @property
    def status(self) -> str:
        same = self.currency == self.buyer_currency
        return BOOKED if same or self.fx_rate is not None else AWAITING_FX


def cost_rate_on(employee: Employee, day: date) -> CostRate | None:
    """The cost rate in force on ``day``: the latest that starts on or before it."""
    best: CostRate | None = None
    for r in employee.cost_rates:
        if r.valid_from <= day and (best is None or r.valid_from > best.valid_from):
            best = r
    return best


def transfer_price(cost_rate: Decimal, markup_percent: Decimal) -> Decimal:
    """Cost rate plus markup per hour, half up to 8 decimals (the precision it is stored at,
    so the amount is computed from the price the record shows)."""
    exact = _CALC.multiply(cost_rate, _CALC.add(Decimal(1), _CALC.divide(markup_percent,
                                                                          HUNDRED)))
    return exact.quantize(PRICE_QUANTUM, rounding=ROUND_HALF_UP, context=_CALC)


def crosses_entities(md: MasterData, employee: str, project_entity: str) -> bool:
    emp = md.employees.get(employee)
    return emp is not None and emp.entity != project_entity


def price_charge(md: MasterData, entry_id: int, employee_id: str, project: str, buyer: str,
                 work_date: date, seconds: int) -> IntercompanyCharge | Problem:
    employee = md.employees[employee_id]
    seller = md.entities[employee.entity]
    rate = cost_rate_on(employee, work_date)
    where = f"entry {entry_id}"
    if rate is None:
        return Problem("no_transfer_price",
                       f"employee {employee_id} of entity {seller.code} works for entity "
                       f"{buyer} on {work_date.isoformat()} but has no cost rate in force that "
                       "day", where, "cost_rates")
    if rate.currency != seller.currency:
        return Problem("no_transfer_price",
                       f"employee {employee_id}'s cost rate is in {rate.currency}, entity "
                       f"{seller.code} charges in {seller.currency}", where, "cost_rates")
    markup = md.intercompany.get((seller.code, buyer), Decimal(0))
    price = transfer_price(rate.rate, markup)
    return IntercompanyCharge(
        entry_id=entry_id, seller=seller.code, buyer=buyer, employee=employee_id,
        project=project, work_date=work_date, seconds=seconds, cost_rate=rate.rate,
        markup_percent=markup, transfer_price=price,
        amount=time_amount(seconds, price, seller.currency), currency=seller.currency,
        buyer_currency=md.entities[buyer].currency)


def _pair(account_debit: str, account_credit: str, amount: Decimal, currency: str,
          project: str, employee: str, functional: Decimal | None = None,
          rate: Decimal | None = None) -> tuple[Posting, Posting]:
    f = amount if functional is None else functional
    r = Decimal(1) if rate is None else rate
    return (Posting(account_debit, amount, Decimal(0), currency, f, r, project=project,
                    employee=employee),
            Posting(account_credit, Decimal(0), amount, currency, -f, r, project=project,
                    employee=employee))


def _by_project(charges: Iterable[IntercompanyCharge]) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for c in charges:
        sums[(c.project, c.employee)] += c.amount
    return sums


def seller_entry(key: str, seller: LegalEntity, buyer: str, on: date,
                 charges: Iterable[IntercompanyCharge]) -> JournalEntry | None:
    """Dr intercompany receivable / Cr intercompany revenue, per project and employee."""
    acc = seller.accounts
    postings = [p for (project, employee), amount in sorted(_by_project(charges).items())
                if amount
                for p in _pair(acc.intercompany_receivable, acc.intercompany_revenue, amount,
                               seller.currency, project, employee)]
    if not postings:
        return None  # zero-priced work (a zero cost rate) books nothing
    return balanced(JournalEntry(key, seller.code, on, f"intercompany charge to {buyer}",
                                 "intercompany", key, tuple(postings)))


def buyer_entry(key: str, buyer: LegalEntity, seller: str, on: date,
                charges: Iterable[IntercompanyCharge]) -> JournalEntry | None:
    """Dr intercompany cost / Cr intercompany payable, in the buyer's books (same currency)."""
    acc = buyer.accounts
    booked = [c for c in charges if c.status == BOOKED]
    rates = {c.fx_rate for c in booked if c.currency != buyer.currency}
    if len(rates) > 1:
        raise ValueError("one buyer entry translates at one rate")
    rate = rates.pop() if rates else None
    postings = [p for (project, employee), amount in sorted(_by_project(booked).items())
                if amount
                for p in _pair(acc.intercompany_cost, acc.intercompany_payable, amount,
                               booked[0].currency, project, employee,
                               None if rate is None else translate(amount, rate,
                                                                   buyer.currency), rate)]
    if not postings:
        return None
    return balanced(JournalEntry(key, buyer.code, on, f"intercompany charge from {seller}",
                                 "intercompany", key, tuple(postings)))
