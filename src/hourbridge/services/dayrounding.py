"""Keep per-day rounding right while entries arrive: the days an intake batch touched are
re-allocated in the same transaction (``domain.dayrounding`` says how).

Why intake and not approval or billing: billable seconds are the stored quantity every later
step reads (approval books WIP from them, adjustments write them up or down, billing bills
them, reports show them), so they are right from the moment an entry is stored; a day changes
only when an entry of it is stored or revised, which is exactly when intake runs. The cost is
one query per batch for the touched days of per-day contracts and nothing for the others.

An approved, unbilled entry whose seconds move gets its WIP re-priced; the difference is booked
Dr unbilled receivables / Cr revenue (negative amounts reverse), one journal entry per entity
and currency per batch, through the outbox.

Known limit: on PostgreSQL two intakes that add entries to the same employee-day at the same
moment each re-round without the other's uncommitted entries; the day is right again the next
time an entry of it is stored. A per-day advisory lock taken in key order would close this.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from hourbridge.domain.dayrounding import DayMember, allocate_day
from hourbridge.domain.ledger import WipAmount, approval_entry
from hourbridge.domain.localday import posting_day
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Approval, RoundingPer
from hourbridge.domain.money import time_amount
from hourbridge.domain.pricing import price_entry
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook

from .journal import publish_journal
from .ports.entries import DayKey, DayRow, EntryRow
from .ports.uow import UnitOfWork


@dataclass
class DayRoundingOutcome:
    days: int = 0
    changed: int = 0
    overbilled_seconds: int = 0


def day_contracts(md: MasterData) -> frozenset[str]:
    """Contracts with a version that rounds per day: only their entries need a recompute."""
    return frozenset(k.id for k in md.contracts.values()
                     if any(v.rounding.per is RoundingPer.DAY for v in k.versions))


def per_day_keys(md: MasterData, keys: Iterable[DayKey]) -> list[DayKey]:
    """The keys whose contract version in force on the day rounds per day."""
    out: list[DayKey] = []
    for key in dict.fromkeys(keys):
        contract = md.contracts.get(key[0])
        version = contract.version_on(key[2]) if contract else None
        if version is not None and version.rounding.per is RoundingPer.DAY:
            out.append(key)
    return out


def _as_entry(row: DayRow) -> EntryRow:
    return EntryRow(row.id, row.source, row.external_id, row.employee, row.project, row.task,
                    row.entity, row.contract, row.work_date, row.worked_seconds,
                    row.billable_seconds, True, row.approval, row.billing, row.wip_amount)


def rebalance_days(uow: UnitOfWork, md: MasterData, rates: RateBook, keys: Iterable[DayKey],
                   now: datetime) -> DayRoundingOutcome:
    days = per_day_keys(md, keys)
    outcome = DayRoundingOutcome(days=len(days))
    if not days:
        return outcome
    by_day: dict[DayKey, list[DayRow]] = defaultdict(list)
    for row in uow.entries.day_rows(days):
        by_day[(row.contract, row.employee, row.work_date)].append(row)
    changes: list[tuple[int, int, Decimal | None]] = []
    wip: dict[tuple[str, str], dict[tuple[str, str], Decimal]] = defaultdict(
        lambda: defaultdict(Decimal))
    trail: list[str] = []
    for key in days:
        rows = by_day.get(key, [])
        version = md.contracts[key[0]].version_on(key[2])
        assert version is not None  # per_day_keys kept only days with a version
        allocation = allocate_day([
            DayMember(r.id, (r.source, r.external_id, r.id), r.worked_seconds,
                      None if r.open else r.billable_seconds, r.manual_delta)
            for r in rows], version.rounding)
        outcome.overbilled_seconds += allocation.overbilled_seconds
        for r in rows:
            seconds = allocation.billable[r.id]
            if seconds == r.billable_seconds:
                continue
            new_wip: Decimal | None = None
            if r.approval == Approval.APPROVED.value and r.wip_amount is not None:
                decision = price_entry(_as_entry(r), md, rates)
                if not isinstance(decision, Problem):
                    # the WIP follows the quantity; a rate that can no longer be found leaves
                    # it as booked and invoicing takes the difference to revenue adjustments
                    new_wip = time_amount(seconds, decision.rate, decision.currency)
                    delta = new_wip - r.wip_amount
                    if delta:
                        customer = md.projects[r.project].customer
                        wip[(r.entity, decision.currency)][(customer, r.project)] += delta
            changes.append((r.id, seconds, new_wip))
            trail.append(f"{r.id}:{r.billable_seconds}>{seconds}")
    uow.entries.set_billable(changes, now)
    outcome.changed = len(changes)
    _book_wip(uow, md, wip, trail, now)
    return outcome


def _book_wip(uow: UnitOfWork, md: MasterData,
              wip: dict[tuple[str, str], dict[tuple[str, str], Decimal]], trail: list[str],
              now: datetime) -> None:
    # the key names what moved and when: the same recompute retried is recorded once, a later
    # one that happens to move the same seconds back and forth is a new posting
    digest = hashlib.sha256((now.isoformat() + "|" + ",".join(trail)).encode()).hexdigest()[:20]
    for (entity_code, currency), by_project in sorted(wip.items()):
        if not any(by_project.values()):
            continue
        key = f"day-rounding:{entity_code}:{currency}:{digest}"
        entry = approval_entry(
            key, md.entities[entity_code], currency, posting_day(md, entity_code, now),
            [WipAmount(c, p, a) for (c, p), a in sorted(by_project.items())],
            memo="per-day rounding recomputed for approved time")
        publish_journal(uow, key, f"journal/{key}", entry, now)


def touched_day(contract: str | None, employee: str, work_date: date | None,
                contracts: frozenset[str]) -> DayKey | None:
    """The day an entry belongs to, when its contract rounds per day at all."""
    if contract is None or work_date is None or contract not in contracts:
        return None
    return (contract, employee, work_date)
