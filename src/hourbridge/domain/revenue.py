"""Revenue recognition for the components billed ahead of (or behind) delivery.

Policies (IFRS 15 / ASC 606 over-time recognition, as a services firm applies them):

* time and materials: as delivered. Approval books the value of approved billable hours as
  revenue (Dr unbilled receivables / Cr revenue), so `revenue run` books nothing for it;
* fixed fee: by percent complete, hours worked against ``estimate_hours`` (or cost against
  ``estimate_cost`` when that is set), capped at 100 %; recognised = total fee x percent;
* milestones: on achievement, the milestone's amount;
* retainer fees: straight-line, each month's fee in its month.

Fees are credited to deferred revenue when invoiced; a run books, per contract and component,
the change of recognised-to-date since the last run: Dr deferred revenue / Cr revenue (the
reverse when it falls). The balance of deferred revenue is then billed minus recognised: a
credit balance is deferred revenue (a contract liability), a debit balance is revenue earned
but not yet billed (a contract asset).

Rounding: recognised-to-date is rounded half-up to the currency's minor unit once per
component; the posted change is the difference of two rounded totals, so the sum of all runs
equals the rounded total to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .contracts import retainer_months
from .model import Contract, Employee
from .money import round_money

FIXED_FEE = "fixed_fee"
MILESTONES = "milestones"
RETAINER = "retainer"
COMPONENTS = (FIXED_FEE, MILESTONES, RETAINER)


@dataclass(frozen=True, slots=True)
class Effort:
    """Work approved on a contract through a date: hours, and their cost at cost rates."""

    hours: Decimal
    cost: Decimal


@dataclass(frozen=True, slots=True)
class Recognition:
    component: str
    recognised: Decimal  # to date, rounded
    basis: str  # how it was measured, for the report and the journal memo


def percent_complete(contract: Contract, effort: Effort) -> Decimal | None:
    """Progress against the estimate, capped at 1; None without an estimate."""
    if contract.estimate_cost is not None and contract.estimate_cost > 0:
        progress = effort.cost / contract.estimate_cost
    elif contract.estimate_hours is not None and contract.estimate_hours > 0:
        progress = effort.hours / contract.estimate_hours
    else:
        return None
    return min(Decimal(1), progress)


def recognise(contract: Contract, through: date, effort: Effort,
              achieved: dict[str, date]) -> list[Recognition]:
    """Recognised-to-date per component the contract has, at the end of ``through``."""
    out: list[Recognition] = []
    cur = contract.currency
    if contract.fee_schedule:
        total = sum((f.amount for f in contract.fee_schedule), Decimal(0))
        pct = percent_complete(contract, effort)
        if pct is None:
            # without an estimate there is no measure of progress: recognise what is billable
            # by the schedule (output method), never ahead of it
            due = sum((f.amount for f in contract.fee_schedule if f.bill_on <= through),
                      Decimal(0))
            out.append(Recognition(FIXED_FEE, round_money(due, cur), "schedule (no estimate)"))
        else:
            measure = ("cost" if contract.estimate_cost else "hours")
            out.append(Recognition(FIXED_FEE, round_money(total * pct, cur),
                                   f"{(pct * 100).quantize(Decimal('0.01'))} % complete by "
                                   f"{measure}"))
    if contract.milestones:
        done = [ms for ms in contract.milestones
                if ms.id in achieved and achieved[ms.id] <= through]
        out.append(Recognition(MILESTONES, round_money(sum((ms.amount for ms in done),
                                                           Decimal(0)), cur),
                               f"{len(done)} of {len(contract.milestones)} achieved"))
    if contract.retainer is not None:
        months = retainer_months(contract, through)
        out.append(Recognition(RETAINER, round_money(contract.retainer.monthly_fee * len(months),
                                                     cur), f"{len(months)} month(s)"))
    return out


def effort_of(rows: list[tuple[str, date, int]], employees: dict[str, Employee],
              currency: str) -> Effort:
    """Hours and cost of (employee, work date, seconds) rows. Cost uses the cost rate in force
    on the work date in the contract currency; a day without one costs nothing (and the
    estimate by hours still measures it)."""
    seconds = 0
    cost = Decimal(0)
    for employee, day, secs in rows:
        seconds += secs
        emp = employees.get(employee)
        rate = None
        for r in (emp.cost_rates if emp else ()):
            if r.valid_from <= day and r.currency == currency:
                rate = r.rate  # rows are in valid_from order: the latest in force wins
        if rate is not None:
            cost += rate * Decimal(secs) / Decimal(3600)
    return Effort(Decimal(seconds) / Decimal(3600), cost)
