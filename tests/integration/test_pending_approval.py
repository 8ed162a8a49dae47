"""Approving new work reads only the entries still waiting (issue 16, item 4).

Approval by period filters on the approval state in SQL, and the partial index on pending
entries (migration ``0011_pending_approval_index``) serves that query on both databases, so
approving a few new entries costs the same however much approved history is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import event, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.services.ports.entries import EntrySelection
from hourbridge.store.entries import SqlEntries

PENDING = ("draft", "submitted")


def _rows(ids: range, month: int) -> list[tuple[Any, ...]]:
    return [(f"X{i}", "E1" if i % 2 else "E2", "P1", "DEV", f"2026-{month:02d}-{1 + i % 28:02d}",
             "1.5", f"item {i}") for i in ids]


def test_approval_by_period_reads_only_pending_entries(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest(_rows(range(40), 9), name="history.csv")
    first = loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    ingest(_rows(range(40, 45), 9), name="new.csv")
    with loaded.engine.connect() as conn:
        read = list(SqlEntries(conn).select(EntrySelection(
            date_from=date(2026, 1, 1), approval=PENDING)))
    assert first.approved == 40
    assert sorted(r.external_id for r in read) == [f"X{i}" for i in range(40, 45)]

    again = loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    assert again.approved == 5 and again.skipped == []
    # by ids, approved work is still read, to say why it is skipped
    with loaded.engine.connect() as conn:
        some = conn.execute(text("SELECT id FROM time_entries ORDER BY id LIMIT 2")).scalars()
        ids = tuple(some)
    by_ids = loaded.handle(c.ApproveEntries("pm", entry_ids=ids))
    assert by_ids.approved == 0 and sorted(s.subject for s in by_ids.skipped) == sorted(ids)


def test_the_pending_selection_uses_the_partial_index(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest(_rows(range(300), 10), name="history.csv")
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    ingest(_rows(range(300, 303), 10), name="new.csv")
    seen: list[tuple[str, Any]] = []
    with loaded.engine.connect() as conn:
        def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if "FROM time_entries" in statement:
                seen.append((statement, parameters))

        event.listen(conn, "before_cursor_execute", keep)
        assert len(list(SqlEntries(conn).select(EntrySelection(
            date_from=date(2026, 1, 1), approval=PENDING)))) == 3
        event.remove(conn, "before_cursor_execute", keep)
        statement, parameters = seen[-1]
        driver = conn.connection.driver_connection
        assert driver is not None
        # with statistics (PostgreSQL intake analyzes tables as they grow)
        conn.exec_driver_sql("ANALYZE time_entries")
        if conn.dialect.name == "sqlite":
            plan = " ".join(str(r) for r in driver.execute(
                f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall())
        else:
            # the planner may prefer a scan of a table this small; barred from it, it must
            # still find the partial index usable (its predicate implied by the query's)
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            with driver.cursor() as cur:
                cur.execute(f"EXPLAIN {statement}", parameters)
                plan = " ".join(str(r) for r in cur.fetchall())
        conn.rollback()
    assert "ix_time_entries_pending" in plan, plan


def _approve_counting(hb: Hourbridge) -> tuple[int, int, list[str]]:
    """Approve all pending work; (approved, statements sent, those reading time_entries)."""
    sent: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(hb.engine, "before_cursor_execute", keep)
    try:
        report = hb.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    finally:
        event.remove(hb.engine, "before_cursor_execute", keep)
    return report.approved, len(sent), [s for s in sent if "FROM time_entries" in s]


def test_approving_new_work_sends_the_same_statements_however_long_the_history(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    """The work of approving five new entries, counted in statements (no timing): the same
    after 20 stored entries as after 320, one page read of the pending ones, and the same
    after the first call (which reads the master data) on every later one."""
    ingest(_rows(range(20), 9), name="history.csv")
    loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
    counts = []
    for start, stored in ((1000, 0), (2000, 300)):
        if stored:  # more approved history, then the same increment again
            ingest(_rows(range(100, 100 + stored), 10), name=f"more-{start}.csv")
            loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 1, 1)))
        ingest(_rows(range(start, start + 5), 11), name=f"new-{start}.csv")
        approved, statements, reads = _approve_counting(loaded)
        assert approved == 5
        assert len(reads) == 1, reads  # the pending page, nothing that scans the history
        counts.append(statements)
    assert counts[0] == counts[1], counts
