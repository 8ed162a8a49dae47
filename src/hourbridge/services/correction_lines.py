"""The adjustment lines billing adds for applied corrections (``next_invoice_adjustment``):
what ``corrections`` decided, carried into a contract's drafts by the next billing run.
Shared by billing and corrections, so that neither imports the other."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from hourbridge.domain import corrections as dc
from hourbridge.domain.billing import DraftInvoice, LineLink, period_of
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.money import round_money, time_amount
from hourbridge.domain.pricing import price_entry
from hourbridge.domain.problems import Problem, Skip
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import role_on

from .ports.entries import EntryRow, EntrySelection
from .ports.uow import UnitOfWork


def entry_row(uow: UnitOfWork, entry_id: int) -> EntryRow:
    row = next(uow.entries.select(EntrySelection(ids=(entry_id,))), None)
    assert row is not None
    return row


def adjustment_lines(uow: UnitOfWork, md: MasterData, rates: RateBook, contract: str,
                     drafts: list[DraftInvoice], through: date,
                     skipped: list[Skip]) -> None:
    """Add to this contract's drafts the adjustments applied corrections still owe: one line
    per entry, in the period of its work date, carrying the difference in seconds (billable
    less billed) and in money (its value now less what the invoices carry). Each line names
    the proposals it settles; the run records that once the draft is stored."""
    owed = uow.corrections.due_adjustments(contract, through)
    latest: dict[int, dict[str, Any]] = {}
    settles: dict[int, list[int]] = defaultdict(list)
    for c in owed:
        latest.setdefault(c["entry"], c)
        settles[c["entry"]].append(c["id"])
    for entry_id, c in sorted(latest.items()):
        row = entry_row(uow, entry_id)
        decision = price_entry(row, md, rates)
        if isinstance(decision, Problem):
            skipped.append(Skip(entry_id, decision))
            continue
        value = time_amount(row.billable_seconds, decision.rate, decision.currency)
        amount = round_money(value - c["old_amount"], decision.currency)
        period = period_of(row.work_date)
        draft = next((d for d in drafts if d.period == period), None)
        if draft is None:
            draft = DraftInvoice(contract, row.entity, md.contracts[contract].customer,
                                 decision.currency, period)
            drafts.append(draft)
        changed = ", ".join(dc.changed_fields(c["before"], c["after"]))
        line = dc.AdjustmentLine(
            row.project, row.task, role_on(md, row.employee, row.project, row.work_date),
            decision, decision.currency, [LineLink(entry_id, row.open_seconds)],
            fixed_amount=amount,
            note=f"correction of entry {row.external_id} billed on {c['number']} line "
                 f"{c['line_no']} ({changed})",
            corrections=tuple(settles[entry_id]))
        draft.lines.append(line)
