"""The kinds of rows intake takes, each an ``IntakeKind`` of the one intake (``intake``).

A connector that brings another kind of row adds a kind here: its validation, its repository
and what it adds to the revision rule of ``domain.classify``, not another intake.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter

from hourbridge.domain.classify import IntakeRules
from hourbridge.domain.commands import IngestExpenses, IngestTimeEntries
from hourbridge.domain.intake import RENAMED_FIELDS

from .corrections import propose_correction
from .dayrounding import day_contracts, rebalance_days, touched_day
from .deps import Collaborators
from .expenses import EXPENSES, validate_expense_batch
from .intake import (
    TIME_ENTRIES,
    DayRounding,
    IntakeKind,
    IntakeReport,
    ingest,
)
from .ports import DayKey, NewEntry, NewExpense, StoredEntry, UnitOfWork
from .ports.entries import IntakeRepository
from .timeentries import validate_batch


def _entries(uow: UnitOfWork) -> IntakeRepository[NewEntry]:
    return uow.entries


def _expenses(uow: UnitOfWork) -> IntakeRepository[NewExpense]:
    return uow.expenses


def _mark_deleted(uow: UnitOfWork, before: StoredEntry, entry: NewEntry, now: datetime) -> None:
    uow.entries.mark_deleted(before.id, entry.revision, entry.inbox_id, now)


def _days_touched(before: StoredEntry | None, entry: NewEntry,
                  per_day: frozenset[str]) -> Iterable[DayKey]:
    """The per-day-rounded days a stored entry was on and an incoming one is on."""
    days = [] if before is None else [
        touched_day(before.contract, before.employee, before.work_date, per_day)]
    days.append(touched_day(entry.contract, entry.employee, entry.work_date, per_day))
    return [day for day in days if day is not None]


TIME = IntakeKind(
    name=TIME_ENTRIES, validate=validate_batch, repository=_entries,
    rules=IntakeRules(
        noun="entry", approval_is_final=True, corrects=True,
        same_content="employee, project, task, date, time and notes as an entry",
        final_state="{approval}/{billing}", final_note="approved work is not rewritten"),
    deleted=attrgetter("deleted"), delete=_mark_deleted, correct=propose_correction,
    rounding=DayRounding(day_contracts, _days_touched, rebalance_days),
    renamed=RENAMED_FIELDS,
)

EXPENSE = IntakeKind(
    name=EXPENSES, validate=validate_expense_batch, repository=_expenses,
    rules=IntakeRules(
        noun="expense", approval_is_final=False, corrects=False,
        same_content="employee, project, task, date, amount, currency, category, description "
                     "and receipt as an expense",
        final_state="{billing}", final_note="billed expenses are not rewritten"),
)

KINDS: dict[str, IntakeKind] = {kind.name: kind for kind in (TIME, EXPENSE)}


def ingest_time_entries(cmd: IngestTimeEntries, uow: UnitOfWork, now: datetime,
                        deps: Collaborators) -> IntakeReport:
    return ingest(TIME, cmd.source, cmd.payload, uow, now, deps.validator, cmd.wait,
                  cmd.entities)


def ingest_expenses(cmd: IngestExpenses, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> IntakeReport:
    return ingest(EXPENSE, cmd.source, cmd.payload, uow, now, deps.validator, cmd.wait,
                  cmd.entities)
