"""A not-to-exceed cap over one contract's hourly work: a hold cap keeps whole entries beyond
it waiting (in work order), a write_down cap bills them and takes the excess off."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..contracts import CAP_WRITE_DOWN, CapItem, apply_cap, version_for
from ..model import Cap, Contract
from ..money import round_money, time_amount
from ..problems import Skip
from .drafts import BillableItem, ChargeLine, DraftInvoice, period_of


@dataclass(frozen=True, slots=True)
class CapResult:
    billed: list[BillableItem]  # work that bills in this run
    write_downs: dict[str, Decimal] = field(default_factory=dict)  # period -> amount (> 0)
    held: list[int] = field(default_factory=list)  # entries a hold cap keeps, in work order
    skipped: list[Skip] = field(default_factory=list)  # the held entries, reported


def cap_label(contract: Contract) -> str:
    cap = contract.cap
    assert cap is not None
    parts = ([f"{cap.hours} h"] if cap.hours is not None else []) + (
        [f"{cap.amount} {contract.currency}"] if cap.amount is not None else [])
    return "not-to-exceed cap of " + " and ".join(parts)


def cap_contract(contract: Contract, cap: Cap, hourly: list[BillableItem], used_seconds: int,
                 used: Decimal) -> CapResult:
    """Apply the cap month by month in work order, so each month's invoice carries its own
    write-down and a hold stops everything after the first entry that does not fit.
    ``used_seconds`` and ``used`` are what live invoices of the contract already billed."""
    used_amount = round_money(used, contract.currency)  # NUMERIC(24, 8) reads back 8 places
    by_period: dict[str, list[BillableItem]] = defaultdict(list)
    for item in sorted(hourly, key=lambda i: (i.work_date, i.entry_id)):
        by_period[period_of(item.work_date)].append(item)
    result = CapResult([])
    for period, items in sorted(by_period.items()):
        if result.held:  # work waits in order: nothing after a held entry bills
            result.held.extend(i.entry_id for i in items)
            continue
        outcome = apply_cap(cap, used_seconds, used_amount,
                            [CapItem(i.entry_id, i.billable_seconds, i.decision.rate)
                             for i in items], contract.currency)
        taken = set(outcome.billed)
        for i in items:
            if i.entry_id in taken:
                result.billed.append(i)
                used_seconds += i.billable_seconds
                used_amount += time_amount(i.billable_seconds, i.decision.rate,
                                           contract.currency)
        used_amount -= outcome.write_down
        result.held.extend(outcome.held)
        if outcome.write_down:
            result.write_downs[period] = outcome.write_down
    result.skipped.extend(
        Skip.because(e, "over_cap", f"contract {contract.id}: beyond its {cap_label(contract)}")
        for e in result.held)
    return result


def write_down_charge(contract: Contract, draft: DraftInvoice, down: Decimal
                      ) -> ChargeLine | None:
    """The negative line of a period's write-down: never more than the period's hourly lines
    (rounded per line), so no invoice total goes below zero; None when nothing is left."""
    down = min(down, sum((ln.amount for ln in draft.lines), Decimal(0)))
    if down <= 0:
        return None
    return ChargeLine(CAP_WRITE_DOWN, draft.period, f"Write-down to the {cap_label(contract)}",
                      -down, version_for(contract, date.fromisoformat(f"{draft.period}-01")
                                         ).version)
