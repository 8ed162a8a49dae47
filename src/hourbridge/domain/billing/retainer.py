"""Retainer settlement of one contract's hourly work: each complete month's included (and
rolled-in) hours draw down first, in work order; the rest is overage billed at rates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from ..contracts import Drawdown, draw_down, settleable_months, version_for
from ..model import Contract
from ..problems import Skip
from ..rating import RateDecision
from .drafts import BillableItem, DraftLine, LineLink, period_of

RETAINER_RULE = "retainer_included"


@dataclass(frozen=True, slots=True)
class RetainerOutcome:
    """Work billed at rates, the months settled, and each settled month's drawdown line."""

    hourly: list[BillableItem]  # work of months settled before, and overage
    settlements: list[Drawdown] = field(default_factory=list)
    lines: dict[str, DraftLine] = field(default_factory=dict)  # period -> included hours
    skipped: list[Skip] = field(default_factory=list)  # work of open months


def drawdown_line(contract: Contract, draw: Drawdown, items: Mapping[int, BillableItem]
                  ) -> DraftLine:
    """The no-charge line of the hours a month's retainer covers, linked to its entries."""
    first = next(iter(items.values()))
    version = version_for(contract, date.fromisoformat(f"{draw.period}-01")).version
    decision = RateDecision(Decimal(0), contract.currency, "retainer", draw.period,
                            RETAINER_RULE, "contract", version)
    line = DraftLine(first.project if len({i.project for i in items.values()}) == 1 else "",
                     "", "", decision, contract.currency, kind="retainer_hours",
                     charge_ref=draw.period)
    line.links = [LineLink(entry, seconds) for entry, seconds in draw.covered]
    return line


def settle_retainer(contract: Contract, hourly: list[BillableItem], through: date,
                    settled: Mapping[str, int]) -> RetainerOutcome:
    """Settle complete months: included (and rolled-in) hours draw down first, the rest is
    overage at rates. Work of a month not yet complete waits for its settlement; work of a
    month settled before (approved late) is overage. ``settled``: period -> seconds it rolled
    over, of the months settled by earlier runs."""
    assert contract.retainer is not None
    months = {period_of(m) for m in settleable_months(contract, through, set(settled))}
    by_month: dict[str, list[BillableItem]] = defaultdict(list)
    outcome = RetainerOutcome([])
    for item in hourly:
        period = period_of(item.work_date)
        if period in settled:
            outcome.hourly.append(item)
        elif period in months:
            by_month[period].append(item)
        else:
            outcome.skipped.append(Skip.because(
                item.entry_id, "retainer_month_open",
                f"retainer month {period} settles when complete"))
    rollover = 0
    for first in settleable_months(contract, through, set(settled)):
        period = period_of(first)
        previous = period_of(first - timedelta(days=1))
        rollover = settled.get(previous, rollover if previous in months else 0)
        work = sorted(by_month.get(period, []), key=lambda i: (i.work_date, i.entry_id))
        draw = draw_down(contract.retainer, period, rollover,
                         [(i.entry_id, i.billable_seconds) for i in work])
        rollover = draw.rollover_out_seconds
        outcome.settlements.append(draw)
        items = {i.entry_id: i for i in work}
        if draw.covered:
            outcome.lines[period] = drawdown_line(contract, draw, items)
        outcome.hourly.extend(replace(items[e], billable_seconds=s) for e, s in draw.overage)
    return outcome
