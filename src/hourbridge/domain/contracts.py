"""Contract components beside hourly work: fixed-fee schedules, milestones, retainers with
drawdown, not-to-exceed caps. Pure rules; the billing service applies them per contract.

Each component bills as a *charge* identified by (kind, ref): an installment id, a milestone
id, or a retainer month. A charge is billed at most once while its invoice line is live; a
rebill credit note releases it, a write-off keeps it billed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from .billing import period_of
from .model import (
    BillingModel,
    Cap,
    Contract,
    ContractVersion,
    FeeInstallment,
    Milestone,
    Retainer,
    UnusedHours,
)
from .money import minor_units, time_amount

FEE = "fee"
MILESTONE = "milestone"
RETAINER_FEE = "retainer_fee"
EXPENSE = "expense"
CAP_WRITE_DOWN = "cap_write_down"
TIME = "time"
# the kinds of charge lines, each with the account role issuing credits (see domain.ledger)
CHARGE_KINDS = (FEE, MILESTONE, RETAINER_FEE, EXPENSE, CAP_WRITE_DOWN)


@dataclass(frozen=True, slots=True)
class Charge:
    """A priced, non-hourly line to put on the contract's invoice for ``period``."""

    kind: str
    ref: str
    period: str
    amount: Decimal
    description: str
    contract_version: int


def _places_ok(amount: Decimal, currency: str) -> bool:
    exponent = amount.as_tuple().exponent
    return isinstance(exponent, int) and -exponent <= minor_units(currency)


def _priced_items(name: str, items: Sequence[FeeInstallment | Milestone],
                  currency: str) -> list[tuple[str, str]]:
    """Ids that repeat, and amounts finer than the currency's minor unit."""
    out: list[tuple[str, str]] = []
    ids = [item.id for item in items]
    if len(ids) != len(set(ids)):
        out.append((name, "ids repeat"))
    out += [(f"{name}[{i}].amount", f"{item.amount} has more decimals than {currency} allows")
            for i, item in enumerate(items) if not _places_ok(item.amount, currency)]
    return out


def term_problems(k: Contract) -> list[tuple[str, str]]:
    """What makes the contract's terms contradict themselves: (field, reason) pairs."""
    out: list[tuple[str, str]] = []
    for i, v in enumerate(k.versions):
        if v.billing_model not in {m.value for m in BillingModel}:
            out.append((f"versions[{i}].billing_model",
                        f"unknown billing model {v.billing_model!r}"))
    out += _priced_items("fee_schedule", k.fee_schedule, k.currency)
    for i, f in enumerate(k.fee_schedule):
        if f.bill_on < k.start_date or (k.end_date is not None and f.bill_on > k.end_date):
            out.append((f"fee_schedule[{i}].bill_on",
                        f"{f.bill_on.isoformat()} is outside the contract dates"))
    out += _priced_items("milestones", k.milestones, k.currency)
    r = k.retainer
    if r is not None:
        if not _places_ok(r.monthly_fee, k.currency):
            out.append(("retainer.monthly_fee",
                        f"{r.monthly_fee} has more decimals than {k.currency} allows"))
        if r.rollover_limit_hours is not None and r.unused is not UnusedHours.ROLL_OVER:
            out.append(("retainer.rollover_limit_hours",
                        "a rollover limit needs unused: roll_over"))
    c = k.cap
    if c is not None:
        if c.hours is None and c.amount is None:
            out.append(("cap", "a cap needs hours, an amount, or both"))
        if c.amount is not None and not _places_ok(c.amount, k.currency):
            out.append(("cap.amount", f"{c.amount} has more decimals than {k.currency} allows"))
    if k.expenses.markup_percent and k.expenses.billing.value != "markup":
        out.append(("expenses.markup_percent", "a markup needs billing: markup"))
    return out


def version_for(contract: Contract, day: date) -> ContractVersion:
    found = contract.version_on(day)
    return found if found is not None else min(contract.versions, key=lambda v: v.effective_from)


def bills_hours(contract: Contract, day: date) -> bool:
    """Whether hours worked on ``day`` are priced by the hour (else a fee covers them)."""
    return version_for(contract, day).billing_model != BillingModel.FEE_ONLY.value


def accrues_wip(contract: Contract, day: date) -> bool:
    """Approved hours book unbilled revenue only where they will be invoiced at rates as they
    are: not under a fee (the fee is recognised by `revenue run`), and not under a retainer
    (included hours are the fee's; overage becomes revenue when the month is settled)."""
    return contract.retainer is None and bills_hours(contract, day)


def due_charges(contract: Contract, through: date, achieved: dict[str, date],
                billed: set[tuple[str, str]]) -> list[Charge]:
    """Installments due, milestones achieved and retainer fees (in advance) not yet billed."""
    out: list[Charge] = []
    for f in contract.fee_schedule:
        if f.bill_on <= through and (FEE, f.id) not in billed:
            out.append(Charge(FEE, f.id, period_of(f.bill_on), f.amount,
                              f.description or f"Fixed fee {f.id}",
                              version_for(contract, f.bill_on).version))
    for ms in contract.milestones:
        on = achieved.get(ms.id)
        if on is not None and on <= through and (MILESTONE, ms.id) not in billed:
            out.append(Charge(MILESTONE, ms.id, period_of(on), ms.amount,
                              f"Milestone {ms.id}: {ms.name}", version_for(contract, on).version))
    r = contract.retainer
    if r is not None:
        for first in retainer_months(contract, through):
            period = period_of(first)
            if (RETAINER_FEE, period) not in billed and r.monthly_fee > 0:
                out.append(Charge(RETAINER_FEE, period, period, r.monthly_fee,
                                  f"Retainer {period} (includes {r.included_hours} h)",
                                  version_for(contract, first).version))
    return out


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def retainer_months(contract: Contract, through: date) -> list[date]:
    """First days of the months a retainer fee is due for by ``through`` (billed in advance:
    a month is due from its first day), from the contract's start month to its end."""
    months: list[date] = []
    day = month_start(contract.start_date)
    last = through if contract.end_date is None else min(through, contract.end_date)
    while day <= last:
        months.append(day)
        day = month_end(day) + timedelta(days=1)
    return months


def settleable_months(contract: Contract, through: date, settled: set[str]) -> list[date]:
    """Complete months (their last day on or before ``through``) whose drawdown is not yet
    settled: a month settles once, when all of it can be billed."""
    return [m for m in retainer_months(contract, through)
            if month_end(m) <= through and period_of(m) not in settled]


@dataclass(frozen=True, slots=True)
class Drawdown:
    """How a retainer month's billable seconds split into included hours and overage."""

    period: str
    included_seconds: int
    rollover_in_seconds: int
    covered: tuple[tuple[int, int], ...]  # (entry id, seconds) drawn from included hours
    overage: tuple[tuple[int, int], ...]  # (entry id, seconds) billed at rates
    rollover_out_seconds: int
    expired_seconds: int

    @property
    def used_seconds(self) -> int:
        return sum(s for _, s in self.covered)


def hours_to_seconds(value: Decimal) -> int:
    return int((value * 3600).to_integral_value(rounding=ROUND_FLOOR))


def draw_down(retainer: Retainer, period: str, rollover_in_seconds: int,
              work: Iterable[tuple[int, int]]) -> Drawdown:
    """Draw ``work`` ((entry id, seconds) in work order) from the month's included hours plus
    what rolled in; an entry that crosses the limit splits into covered and overage seconds."""
    included = hours_to_seconds(retainer.included_hours)
    left = included + rollover_in_seconds
    covered: list[tuple[int, int]] = []
    overage: list[tuple[int, int]] = []
    for entry, seconds in work:
        take = min(left, seconds)
        if take > 0:
            covered.append((entry, take))
            left -= take
        if seconds - take > 0:
            overage.append((entry, seconds - take))
    rollover = 0
    if retainer.unused is UnusedHours.ROLL_OVER:
        rollover = left
        if retainer.rollover_limit_hours is not None:
            rollover = min(rollover, hours_to_seconds(retainer.rollover_limit_hours))
    return Drawdown(period, included, rollover_in_seconds, tuple(covered), tuple(overage),
                    rollover, left - rollover)


@dataclass(frozen=True, slots=True)
class CapItem:
    entry_id: int
    seconds: int
    rate: Decimal


@dataclass(frozen=True, slots=True)
class CapOutcome:
    billed: tuple[int, ...]  # entry ids that bill in this run
    held: tuple[int, ...]  # entry ids over a hold cap, in work order
    write_down: Decimal  # positive amount to take off (write_down policy)


def apply_cap(cap: Cap, used_seconds: int, used_amount: Decimal, items: Sequence[CapItem],
              currency: str) -> CapOutcome:
    """Hold work beyond the cap (whole entries, in work order), or bill it and write the
    excess down. ``used_*`` is what live invoices of the contract already billed."""
    cap_seconds = hours_to_seconds(cap.hours) if cap.hours is not None else None
    if cap.over_cap.value == "hold":
        billed: list[int] = []
        held: list[int] = []
        seconds, amount = used_seconds, used_amount
        for it in items:
            value = time_amount(it.seconds, it.rate, currency)
            fits = (not held
                    and (cap_seconds is None or seconds + it.seconds <= cap_seconds)
                    and (cap.amount is None or amount + value <= cap.amount))
            if fits:
                billed.append(it.entry_id)
                seconds += it.seconds
                amount += value
            else:
                held.append(it.entry_id)
        return CapOutcome(tuple(billed), tuple(held), Decimal(0))
    new_seconds = sum(it.seconds for it in items)
    new_amount = sum((time_amount(it.seconds, it.rate, currency) for it in items), Decimal(0))
    down = Decimal(0)
    if cap_seconds is not None:
        over = min(new_seconds, max(0, used_seconds + new_seconds - cap_seconds))
        # the seconds over the cap are the latest ones, valued at their own rates
        for it in reversed(items):
            if over <= 0:
                break
            take = min(over, it.seconds)
            down += time_amount(take, it.rate, currency)
            over -= take
    if cap.amount is not None:
        down += max(Decimal(0), used_amount + new_amount - down - cap.amount)
    return CapOutcome(tuple(it.entry_id for it in items), (), min(down, new_amount))

