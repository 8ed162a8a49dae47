"""What a billing run reads of its open entries (``OpenEntry``), lean: only the columns
pricing, grouping and the links use, open seconds computed by the database, rows sent as
the driver gives them, and every value SQLite keeps in storage form (dates, decimals)
converted once per distinct value rather than once per row (issue 16: a run reads every open
entry, and building a full ``EntryRow`` per row through SQLAlchemy's result processing cost
more than the query)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Dialect, and_, literal_column, select, text

from hourbridge.services.ports.entries import EntrySelection, OpenEntry, StoredPrice

from . import tables as t
from .approval_ledger import PRICE_COLS
from .entry_selection import where_of

_te = t.time_entries
_COLS = (_te.c.id, _te.c.employee, _te.c.project, _te.c.task, _te.c.entity, _te.c.contract,
         _te.c.work_date,
         (_te.c.billable_seconds - _te.c.billed_seconds - _te.c.written_off_seconds)
         .label("open_seconds"),
         _te.c.billing, _te.c.notes)
_N = len(_COLS)
_DATE = 6  # work_date's place in a row
_HOLE = "__open_work_where__"
_LAST = "__open_work_last__"


@functools.lru_cache(maxsize=8)
def _frame(dialect: Dialect, page: int) -> str:
    """The SQLite statement without its WHERE (``_HOLE``), compiled once: its twenty
    columns were two thirds of compiling the whole statement per page, which a run of a
    hundred new entries paid for every group (issue 16, item 4)."""
    return str(select(*_COLS, *PRICE_COLS).where(text(_HOLE)).order_by(_te.c.id).limit(page)
               .compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@functools.lru_cache(maxsize=64)
def _sqlite_where(dialect: Dialect, selection: EntrySelection) -> str:
    """The SQLite statement's WHERE for ``selection``, compiled once per selection with the
    keyset's last id as a mark (``_LAST``): a billing run of a hundred new entries asks the
    same selection every run and paid more for compiling it than for the query."""
    clause = and_(_te.c.id > literal_column(_LAST), *where_of(selection))
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def open_work(conn: Connection, selection: EntrySelection, page: int) -> Iterator[OpenEntry]:
    """The entries matching ``selection`` by id, a page at a time (keyset: id > last)."""
    sqlite = conn.dialect.name == "sqlite"
    where = [] if sqlite else where_of(selection)
    # kept across pages: a run's entries share a few hundred days and stored decisions
    days: dict[Any, date] = {}
    prices: dict[tuple[Any, ...], StoredPrice | None] = {}
    last = 0
    while True:
        if sqlite:
            # the statement's values are plain dates, strings and numbers, rendered inline
            sql = _frame(conn.dialect, page).replace(_HOLE, _sqlite_where(
                conn.dialect, selection).replace(_LAST, str(int(last)), 1), 1)
            rows: Sequence[Any] = conn.exec_driver_sql(sql).all()
        else:
            stmt = (select(*_COLS, *PRICE_COLS).where(and_(_te.c.id > last, *where))
                    .order_by(_te.c.id).limit(page))
            compiled = stmt.compile(conn, compile_kwargs={"render_postcompile": True})
            rows = conn.exec_driver_sql(str(compiled), compiled.params).all()
        for r in rows:
            key = r[_N:]
            price = prices.get(key, prices)  # the dict itself: not seen yet
            if price is prices:
                price = prices[key] = _price(key)
            day = r[_DATE]
            if sqlite:
                found = days.get(day)
                if found is None:
                    found = days[day] = date.fromisoformat(day)
                day = found
            yield OpenEntry(r[0], r[1], r[2], r[3], r[4], r[5], day, r[7], r[8], r[9],
                            price)
        if len(rows) < page:
            return
        last = rows[-1][0]


def _price(stored: tuple[Any, ...]) -> StoredPrice | None:
    """The decision approval kept, in ``PRICE_COLS`` order (None: none; its basis is None)."""
    if stored[-1] is None:
        return None
    rate = stored[0]
    return StoredPrice(rate if isinstance(rate, Decimal) else Decimal(rate), *stored[1:])
