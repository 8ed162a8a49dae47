"""A billing run's read of open entries on SQLite compiles its statement's frame once and its
WHERE once per selection (``store/open_work.py``): what it sends is exactly the statement it
sent when it compiled the whole of it per page, and asking the same selection again compiles
nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, event, select

from hourbridge.services.ports import EntrySelection
from hourbridge.store import migrate
from hourbridge.store.approval_ledger import PRICE_COLS
from hourbridge.store.engine import make_engine
from hourbridge.store.entries import SqlEntries
from hourbridge.store.entry_selection import where_of
from hourbridge.store.open_work import _COLS, _sqlite_where, _te


def test_open_work_sends_the_whole_statement_compiled_inline(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/open.db")
    migrate.upgrade(engine)
    sent: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT"):
            sent.append(statement)

    selections = [
        EntrySelection(approval=("approved",), billing=("unbilled", "credited"),
                       billable=True, date_to=date(2025, 6, 30), contracts=("K1", "K'2")),
        EntrySelection(approval=("approved",), billing=("unbilled",), billable=True,
                       entity="ACME", contract="K3"),
    ]
    try:
        with engine.connect() as conn:
            entries = SqlEntries(conn)
            event.listen(conn, "before_cursor_execute", watch)
            for selection in selections:
                assert list(entries.open_work(selection)) == []
                whole = (select(*_COLS, *PRICE_COLS)
                         .where(and_(_te.c.id > 0, *where_of(selection)))
                         .order_by(_te.c.id).limit(entries.PAGE))
                assert sent[-1] == str(whole.compile(
                    conn, compile_kwargs={"literal_binds": True}))
                compiled = _sqlite_where.cache_info().misses
                assert list(entries.open_work(selection)) == []  # the same run again
                assert _sqlite_where.cache_info().misses == compiled
                assert sent[-1] == sent[-2]
    finally:
        engine.dispose()
    assert len(sent) == 2 * len(selections)
