"""Expense intake and approval, with the time intake's guarantees (see ``intake``): the payload
is kept in the inbox first, every row is stored or becomes an exception with its reason, the
same payload twice adds nothing.

Revisions: a row whose source id is stored is unchanged (same content, or an older revision),
or replaces the stored expense while it is not billed (an approved one goes back to
``submitted``: its approval was of the old amount), or is ``changed_after_approval`` once the
expense is billed or written off (billed data is never edited). The same content under
another id is ``duplicate_entry``.

Approval books nothing: what the firm spent is booked by the expense tool or ERP that pays the
employee back; what the customer is charged is booked when the invoice that bills it is issued.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from hourbridge.domain.commands import ApproveExpenses, IncomingPayload
from hourbridge.domain.expenses import expense_content_key, parse_expense, validate_expense
from hourbridge.domain.intake import overflowing
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput

from .intake import BATCH, IntakeReport, Row, _Outcome, run_intake
from .ports.batches import chunked
from .ports.expenses import ExpenseSelection, NewExpense
from .ports.uow import UnitOfWork

EXPENSES = "expenses"  # the inbox kind of an expense payload
# billing states an expense may still be revised in; billed or written off is final
_REVISABLE = ("unbilled", "non_billable")


Validated = tuple[list[tuple[int, NewExpense]], list[tuple[int, list[Problem]]]]


def validate_expense_batch(rows: list[Row], source: str, inbox_id: int,
                           md: MasterData) -> Validated:
    """Parse and validate rows, no stored state involved: (index, expense) for valid rows,
    (index, problems) for the others."""
    candidates: list[tuple[int, NewExpense]] = []
    rejected: list[tuple[int, list[Problem]]] = []
    for index, (where, raw) in enumerate(rows):
        parsed = parse_expense(raw, where)
        if isinstance(parsed, list):
            rejected.append((index, parsed))
            continue
        overflow = overflowing(raw, where)
        if overflow is not None:
            rejected.append((index, [overflow]))
            continue
        checked = validate_expense(parsed, md, where)
        if isinstance(checked, list):
            rejected.append((index, checked))
            continue
        e = checked.expense
        candidates.append((index, NewExpense(
            source=source, external_id=e.external_id, revision=e.revision, inbox_id=inbox_id,
            employee=e.employee, project=e.project, task=e.task or None, entity=checked.entity,
            contract=checked.contract, spent_on=e.spent_on, category=e.category,
            description=e.description, amount=e.amount, currency=e.currency,
            billable=checked.billable, receipt_ref=e.receipt_ref or None,
            content_key=expense_content_key(e), billing=checked.billing.value,
        )))
    return candidates, rejected


def store_expense_batch(uow: UnitOfWork, source: str, rows: list[Row], inbox_id: int,
                        md: MasterData, now: datetime) -> _Outcome:
    """Validate one batch, then new / unchanged / revised / refused against what is stored
    (earlier batches of the same payload included: same transaction), then one insert."""
    candidates, rejected = validate_expense_batch(rows, source, inbox_id, md)
    out = _Outcome(rejected=list(rejected))
    stored = uow.expenses.stored(source, [c.external_id for _, c in candidates])
    known_keys = uow.expenses.existing_content_keys([c.content_key for _, c in candidates])
    inserts: list[NewExpense] = []
    seen_ids: set[str] = set()
    seen_keys: set[str] = set()
    for index, expense in candidates:
        where = rows[index][0]
        before = stored.get(expense.external_id)
        if expense.external_id in seen_ids:
            out.rejected.append((index, [Problem(
                "duplicate_entry", f"external_id {expense.external_id} appears twice in one "
                "batch", where, "external_id")]))
        elif before is not None:
            if before.content_key == expense.content_key or expense.revision < before.revision:
                out.unchanged += 1
            elif before.billing not in _REVISABLE:
                out.rejected.append((index, [Problem(
                    "changed_after_approval",
                    f"expense {expense.external_id} changed at the source after it was "
                    f"{before.billing}; billed expenses are not rewritten", where,
                    "external_id")]))
            else:
                uow.expenses.replace(before.id, expense, now)
                out.revised += 1
        elif expense.content_key in known_keys or expense.content_key in seen_keys:
            out.rejected.append((index, [Problem(
                "duplicate_entry", "same employee, project, task, date, amount, currency, "
                "category, description and receipt as an expense already taken", where,
                "external_id")]))
        else:
            inserts.append(expense)
        seen_ids.add(expense.external_id)
        seen_keys.add(expense.content_key)
    uow.expenses.insert(inserts, now)
    out.accepted = len(inserts)
    return out


def ingest_expenses(source: str, payload: IncomingPayload, uow: UnitOfWork,
                    now: datetime, wait: bool = True) -> IntakeReport:
    def store_batches(inbox_id: int, md: MasterData
                      ) -> Iterator[tuple[list[Row], Callable[[], _Outcome]]]:
        for batch in chunked(payload.rows(), BATCH):
            yield batch, partial(store_expense_batch, uow, source, batch, inbox_id, md, now)

    return run_intake(source, payload, uow, now, EXPENSES, store_batches, wait)


@dataclass
class ExpenseApprovalReport:
    approved: int = 0
    billable: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    # currency -> billable amount approved (what billing may pass through, before any markup)
    billable_amount: dict[str, Decimal] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"approved": self.approved, "billable": self.billable, "skipped": self.skipped,
                "billable_amount": {k: str(v) for k, v in sorted(self.billable_amount.items())}}


def approve_expenses(cmd: ApproveExpenses, uow: UnitOfWork, now: datetime
                     ) -> ExpenseApprovalReport:
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
                seen.add(row.id)
                if row.approval != "submitted":
                    if cmd.expense_ids:
                        report.skipped.append({"id": row.id,
                                               "reason": f"already {row.approval}"})
                    continue
                ids.append(row.id)
                if row.billable:
                    report.billable += 1
                    amounts[row.currency] += row.amount
            uow.expenses.approve(ids, now, cmd.actor)
            report.approved += len(ids)
        report.skipped += [{"id": i, "reason": "not_found"}
                           for i in sorted(set(cmd.expense_ids) - seen)]
        uow.commit()
    report.billable_amount = dict(amounts)
    return report
