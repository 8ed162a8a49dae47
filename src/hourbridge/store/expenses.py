"""Expenses: intake, approval and the billing axis they move."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from hourbridge.domain.money import round_money
from hourbridge.errors import Conflict
from hourbridge.services.ports.entries import StoredEntry
from hourbridge.services.ports.expenses import ExpenseRow, ExpenseSelection, NewExpense

from . import tables as t
from ._sql import _chunks, _member
from .bulk import sqlite_value
from .intake_rows import StagedBatch, stored_rows

_EXPENSE_COLS = (
    t.expenses.c.id, t.expenses.c.contract, t.expenses.c.project, t.expenses.c.entity,
    t.expenses.c.spent_on, t.expenses.c.category, t.expenses.c.description,
    t.expenses.c.amount, t.expenses.c.currency, t.expenses.c.employee, t.expenses.c.task,
    t.expenses.c.billable, t.expenses.c.approval, t.expenses.c.billing,
)
def _expense_row(r: Any) -> ExpenseRow:
    # NUMERIC(24, 8) reads back 120.50000000: give the amount in its currency's minor units
    # (exact: intake stored no more decimals than that)
    return ExpenseRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], round_money(r[7], r[8]),
                      *r[8:])


# pairs per billing statement: two parameters each (CASE) plus one (IN), under SQLite's limit
_PAIRS_CHUNK = 300


def _billable_where(through: Any) -> list[ColumnElement[bool]]:
    ex = t.expenses
    return [ex.c.approval == "approved", ex.c.billing == "unbilled",
            ex.c.billable.is_(True), ex.c.spent_on <= through]


def _with_billable(by_entity: bool) -> Any:
    ex = t.expenses
    where = [ex.c.contract.is_not(None), *_billable_where(bindparam("through"))]
    if by_entity:
        where.append(ex.c.entity == bindparam("entity"))
    return select(ex.c.contract).where(*where).group_by(ex.c.contract).order_by(
        ex.c.contract)


# built once (every billing run asks, of one entity or all): building the statement and its
# cache key per run cost more than the query (issue 16)
_WITH_BILLABLE = {False: _with_billable(False), True: _with_billable(True)}


class SqlExpenses:
    """Expenses: intake (stored / insert / replace), approval, and the billing axis a billing
    run moves (``billable`` → ``mark_billed``; a credit note ``release``s)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # the batch ``stage`` holds for ``move_staged``
        self._batch = StagedBatch(conn, t.expenses, self._INSERT_COLUMNS)

    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]:
        return stored_rows(self.conn, t.expenses, source, external_ids)

    _INSERT_COLUMNS = (
        "source", "external_id", "revision", "inbox_id", "employee", "project", "task",
        "entity", "contract", "spent_on", "category", "description", "amount", "currency",
        "billable", "receipt_ref", "content_key", "approval", "billing", "created_at",
        "updated_at", "intake_key",
    )

    def stage(self, expenses: Sequence[NewExpense], at: datetime
              ) -> tuple[dict[str, StoredEntry], set[str]]:
        """A batch staged as time entries are (see ``SqlEntries.stage``)."""
        if not expenses:
            return {}, set()
        sqlite = self.conn.dialect.name == "sqlite"
        if sqlite:
            # already in SQLite's storage form (see SqlEntries.stage)
            stamp = sqlite_value(at)
            rows: list[tuple[Any, ...]] = [
                (e.source, e.external_id, e.revision, e.inbox_id, e.employee, e.project, e.task,
                 e.entity, e.contract, e.spent_on.isoformat(), e.category, e.description,
                 format(e.amount, "f"), e.currency, int(e.billable), e.receipt_ref,
                 e.content_key, "submitted", e.billing, stamp, stamp, e.content_key)
                for e in expenses]
        else:
            rows = [(*e[:-1], "submitted", e.billing, at, at, e.content_key) for e in expenses]
        ids, taken = self._batch.load(rows, converted=sqlite)
        return self.stored(expenses[0].source, ids), taken

    def move_staged(self, skip: Sequence[int]) -> int:
        return self._batch.move(skip)

    def replace(self, expense_id: int, expense: NewExpense, at: datetime,
                claim_content: bool = False) -> None:
        """A new revision: its content replaces the stored one and waits for approval again
        (an approval was of the old amount); ``claim_content`` as for time entries."""
        values = dict(zip(self._INSERT_COLUMNS[:-3],
                          (*expense[:-1], "submitted", expense.billing), strict=True))
        self.conn.execute(update(t.expenses).where(t.expenses.c.id == expense_id).values(
            **values, approved_at=None, approved_by=None, updated_at=at,
            intake_key=expense.content_key if claim_content else None))

    PAGE = 5000

    def select(self, selection: ExpenseSelection) -> Iterator[ExpenseRow]:
        """Matching expenses by id, a page at a time (keyset), so memory stays bounded."""
        ex = t.expenses
        where: list[ColumnElement[bool]] = []
        for column, value in ((ex.c.employee, selection.employee),
                              (ex.c.project, selection.project)):
            if value:
                where.append(column == value)
        if selection.date_from:
            where.append(ex.c.spent_on >= selection.date_from)
        if selection.date_to:
            where.append(ex.c.spent_on <= selection.date_to)
        if selection.approval:
            where.append(ex.c.approval.in_(selection.approval))
        id_parts: list[Sequence[int] | None] = (
            list(_chunks(list(selection.ids))) if selection.ids else [None])
        for part in id_parts:
            clause = where + ([ex.c.id.in_(part)] if part is not None else [])
            last = 0
            while True:
                rows = self.conn.execute(
                    select(*_EXPENSE_COLS).where(ex.c.id > last, *clause)
                    .order_by(ex.c.id).limit(self.PAGE)).all()
                for r in rows:
                    yield _expense_row(r)
                if len(rows) < self.PAGE:
                    break
                last = rows[-1][0]

    def approve(self, ids: Sequence[int], at: datetime, by: str) -> None:
        ex = t.expenses
        for member in _member(self.conn, ex.c.id, ids):
            self.conn.execute(update(ex).where(member, ex.c.approval == "submitted").values(
                approval="approved", approved_at=at, approved_by=by, updated_at=at))

    def _billable_where(self, through: date) -> list[ColumnElement[bool]]:
        return _billable_where(through)

    def billable(self, contract: str, through: date) -> list[ExpenseRow]:
        ex = t.expenses
        stmt = (select(*_EXPENSE_COLS)
                .where(ex.c.contract == contract, *self._billable_where(through))
                .order_by(ex.c.spent_on, ex.c.id))
        return [_expense_row(r) for r in self.conn.execute(stmt)]

    def contracts_with_billable(self, through: date, entity: str | None) -> list[str]:
        params: dict[str, Any] = {"through": through}
        if entity:
            params["entity"] = entity
        return [k for k in self.conn.execute(_WITH_BILLABLE[bool(entity)], params).scalars()
                if k is not None]

    def _move(self, pairs: Sequence[tuple[int, int | None]], state_before: str,
              state_after: str, line: str, at: datetime) -> None:
        """Move expenses from one billing state to another, all or none: every one must be in
        ``state_before`` (checked before anything changes), and each statement's row count
        proves it still was (a concurrent writer in between makes this one fail; the caller's
        transaction then rolls back)."""
        ex = t.expenses
        ids = [i for i, _ in pairs]
        if len(set(ids)) != len(ids):
            raise Conflict("an expense appears twice in one billing change")
        ready = 0
        for member in _member(self.conn, ex.c.id, ids):
            ready += self.conn.execute(select(func.count()).select_from(ex).where(
                member, ex.c.billing == state_before)).scalar_one()
        if ready != len(ids):
            raise Conflict(f"{len(ids) - ready} of {len(ids)} expenses are not {state_before}; "
                           "nothing was changed")
        for part in _chunks(list(pairs), _PAIRS_CHUNK):
            values: dict[str, Any] = {"billing": state_after, "updated_at": at}
            if line == "set":
                values["invoice_line"] = case({i: ln for i, ln in part}, value=ex.c.id)
            elif line == "clear":
                values["invoice_line"] = None
            done = self.conn.execute(update(ex).where(
                ex.c.id.in_([i for i, _ in part]), ex.c.billing == state_before).values(
                **values)).rowcount
            if done != len(part):
                raise Conflict(f"{len(part) - done} of {len(part)} expenses changed "
                               f"concurrently and are no longer {state_before}")

    def mark_billed(self, pairs: Sequence[tuple[int, int]], at: datetime) -> None:
        self._move(pairs, "unbilled", "billed", line="set", at=at)

    def mark_not_billable(self, ids: Sequence[int], at: datetime) -> None:
        """The contract does not pass expenses on: they leave the unbilled queue."""
        self._move([(i, None) for i in ids], "unbilled", "non_billable", line="keep", at=at)

    def on_lines(self, line_ids: Sequence[int]) -> list[int]:
        ex = t.expenses
        out: list[int] = []
        for member in _member(self.conn, ex.c.invoice_line, line_ids):
            out += [i for (i,) in self.conn.execute(select(ex.c.id).where(member))]
        return sorted(out)

    def release(self, ids: Sequence[int], mode: str, at: datetime) -> None:
        if mode == "rebill":
            # billable again; the credit note's line keeps the history of the old billing
            self._move([(i, None) for i in ids], "billed", "unbilled", line="clear", at=at)
        elif mode == "write_off":
            # the link to the credited line stays: it says which invoice wrote it off
            self._move([(i, None) for i in ids], "billed", "written_off", line="keep",
                       at=at)
        else:
            raise ValueError(f"release mode {mode!r} is not rebill or write_off")
