"""Expense intake and approval, with the time intake's guarantees (see ``intake``): the payload
is kept in the inbox first, every row is stored or becomes an exception with its reason, the
same payload twice adds nothing.

Revisions (``domain.classify``; the expense kind is in ``intake_kinds``): a row whose source
id is stored is unchanged (same content, or an older revision), or replaces the stored expense
while it is not billed (an approved one goes back to ``submitted``: its approval was of the
old amount), or is ``changed_after_approval`` once the expense is billed or written off
(billed data is never edited). The same content under another id is ``duplicate_entry``.

Approval books nothing: what the firm spent is booked by the expense tool or ERP that pays the
employee back; what the customer is charged is booked when the invoice that bills it is issued.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.commands import ApproveExpenses
from hourbridge.domain.expenses import (
    ParsedExpense,
    expense_content_key,
    parse_expense,
    validate_expense,
)
from hourbridge.domain.fx import FxTable
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import ALREADY, Problem, Skip
from hourbridge.domain.rating import RateBook
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .ports.batches import chunked
from .ports.expenses import ExpenseSelection, NewExpense
from .ports.uow import UnitOfWork
from .rows import Candidates, Row, validate_rows

EXPENSES = "expenses"  # the inbox kind of an expense payload


def validate_expense_batch(rows: list[Row], source: str, inbox_id: int, md: MasterData,
                           rates: RateBook | None = None) -> Candidates:
    """Parse and validate rows, no stored state involved: (index, expense) for valid rows,
    (index, problems) for the others. (``rates``: unused; every kind validates with the same
    arguments.)"""
    fx = FxTable(md.fx_rates.values())

    def check(parsed: ParsedExpense, where: str) -> NewExpense | list[Problem]:
        checked = validate_expense(parsed, md, where, fx)
        if isinstance(checked, list):
            return checked
        e = checked.expense
        return NewExpense(
            source=source, external_id=e.external_id, revision=e.revision, inbox_id=inbox_id,
            employee=e.employee, project=e.project, task=e.task or None, entity=checked.entity,
            contract=checked.contract, spent_on=e.spent_on, category=e.category,
            description=e.description, amount=e.amount, currency=e.currency,
            billable=checked.billable, receipt_ref=e.receipt_ref or None,
            content_key=expense_content_key(e), billing=checked.billing.value,
        )

    return validate_rows(rows, parse_expense, check)


@dataclass
class ExpenseApprovalReport:
    approved: int = 0
    billable: int = 0
    skipped: list[Skip] = field(default_factory=list)
    # currency -> billable amount approved (what billing may pass through, before any markup)
    billable_amount: dict[str, Decimal] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"approved": self.approved, "billable": self.billable,
                "skipped": [s.as_dict() for s in self.skipped],
                "billable_amount": {k: str(v) for k, v in sorted(self.billable_amount.items())}}


def approve_expenses(cmd: ApproveExpenses, uow: UnitOfWork, now: datetime,
                     deps: Collaborators) -> ExpenseApprovalReport:
    if not (cmd.expense_ids or cmd.employee or cmd.project or cmd.date_from or cmd.date_to):
        raise InvalidInput("say what to approve: expense ids, an employee, a project or a "
                           "period")
    report = ExpenseApprovalReport()
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    with uow:
        selection = ExpenseSelection(ids=cmd.expense_ids, employee=cmd.employee,
                                     project=cmd.project, date_from=cmd.date_from,
                                     date_to=cmd.date_to)
        seen: set[int] = set()
        for batch in chunked(uow.expenses.select(selection), 5000):
            ids: list[int] = []
            for row in batch:
                if cmd.entities is not None and row.entity not in cmd.entities:
                    continue  # another entity's expense: as unknown (``not_found`` by id)
                seen.add(row.id)
                if row.approval != "submitted":
                    if cmd.expense_ids:
                        report.skipped.append(Skip.because(row.id, ALREADY[row.approval]))
                    continue
                ids.append(row.id)
                if row.billable:
                    report.billable += 1
                    amounts[row.currency] += row.amount
            uow.expenses.approve(ids, now, cmd.actor)
            report.approved += len(ids)
        report.skipped += [Skip.because(i, "not_found")
                           for i in sorted(set(cmd.expense_ids) - seen)]
        uow.commit()
    report.billable_amount = dict(amounts)
    return report
