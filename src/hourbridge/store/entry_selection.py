"""Which time entries an ``EntrySelection`` means, as SQL: the WHERE terms every reader of
entries shares (listing, approval, a billing run's counts and open work).

Open work and pending approval are written as the partial indexes' own predicates, so the
indexes serve them: SQLite uses a partial index only for a query whose WHERE terms contain the
index's predicate as written, with its values inline. On SQLite the terms are therefore
rendered with their values inline, and that text is kept per selection (here and in
``open_work``): a billing run of a hundred new entries asks the same selection every time and
paid more for compiling it than for running the queries (issue 16, item 4).
"""

from __future__ import annotations

import functools

from sqlalchemy import Dialect, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from hourbridge.services.ports.entries import EntrySelection

from . import tables as t

_te = t.time_entries


def asks_open_work(selection: EntrySelection) -> bool:
    """Whether ``selection`` asks only for open work, which ix_time_entries_open holds."""
    return (tuple(selection.approval) == ("approved",) and bool(selection.billing)
            and set(selection.billing) <= set(t.OPEN_STATES))


def where_of(selection: EntrySelection) -> list[ColumnElement[bool]]:
    """The WHERE terms of ``selection``."""
    te = _te
    where: list[ColumnElement[bool]] = []
    if selection.contract:
        where.append(te.c.contract == selection.contract)
    if selection.contracts:
        where.append(te.c.contract.in_(selection.contracts))
    if selection.employee:
        where.append(te.c.employee == selection.employee)
    if selection.project:
        where.append(te.c.project == selection.project)
    if selection.date_from:
        where.append(te.c.work_date >= selection.date_from)
    if selection.date_to:
        where.append(te.c.work_date <= selection.date_to)
    billing = tuple(selection.billing)
    if tuple(selection.approval) == t.PENDING_STATES:
        where.append(t.PENDING_APPROVAL)  # the partial index's own predicate: it serves
    elif asks_open_work(selection):
        # open work (a billing run's): the open index's own predicate, written as it is
        where += [t.OPEN_APPROVED, t.OPEN_BILLING]
        if set(billing) != set(t.OPEN_STATES):
            where.append(te.c.billing.in_(billing))
        billing = ()
    elif selection.approval:
        where.append(te.c.approval.in_(selection.approval))
    if billing:
        where.append(te.c.billing.in_(billing))
    if selection.billable is not None:
        where.append(te.c.billable == selection.billable)
    if selection.entity:
        where.append(te.c.entity == selection.entity)
    return where


@functools.lru_cache(maxsize=64)
def sqlite_open_counts(dialect: Dialect, selection: EntrySelection) -> str:
    """How many entries of open-work ``selection`` each contract has, as SQLite text.
    SQLite plans from sqlite_stat1 when someone ran ANALYZE: statistics taken while no work
    was open hold no row for the (then empty) open index, and the planner skip-scans the
    contract index over the whole history instead. INDEXED BY pins the open index (and fails
    loudly should the predicate stop matching it)."""
    stmt = (select(_te.c.contract, func.count())
            .where(and_(_te.c.contract.is_not(None), *where_of(selection)))
            .group_by(_te.c.contract))
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return sql.replace("FROM time_entries", "FROM time_entries INDEXED BY "
                       "ix_time_entries_open", 1)
