"""The hot queries on ``time_entries`` stay on their index (issue 16; migration 0028_entry_indexes).

``billing`` is in no index key any more; the open work (approved, unbilled / credited /
on_draft) has its own partial index, ``ix_time_entries_open``, which SQLite uses only when a
query writes its predicate literally. These tests capture the exact SQL the store sends for
each hot query over a history of 12,000 entries (most invoiced, a few hundred open, a few
pending), with statistics, and ask each database for its plan:

- the billing run's open-work selection for a group of contracts, and ``contract_counts``
  (which contracts a run or incremental billing reads): the open index, never a scan of
  the approved history;
- approval's pending selection: the pending index;
- issuing's entry update (``relieve_whole``): by primary key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.services.ports.entries import EntrySelection
from hourbridge.store.entries import SqlEntries

HISTORY, CONTRACTS = 12_000, 40
PENDING_ROWS = [n for n in range(1, HISTORY + 1) if n % 599 == 0]
OPEN_ROWS = [n for n in range(1, HISTORY + 1) if n % 37 == 0 and n % 599]
OPEN = ("unbilled", "credited")
BILLING = EntrySelection(approval=("approved",), billing=OPEN, billable=True,
                         date_to=date(2026, 8, 31), contracts=("K-3", "K-4", "K-5"))


def _fill(hb: Hourbridge, ingest: Callable[..., Any], stats_when_closed: bool = False) -> None:
    """12,000 entries copied from one ingested row: every 37th open (unbilled or credited),
    every 599th pending, the rest invoiced; then statistics, as a grown database has."""
    ingest([("seed", "E1", "P1", "DEV", "2026-08-10", "2", "seed")])
    sqlite = hb.engine.dialect.name == "sqlite"
    day = "date(work_date, '-' || (n % 300) || ' days')" if sqlite else "work_date - (n % 300)"
    key = "hex(randomblob(16))" if sqlite else "md5(n::text)"
    with hb.engine.begin() as conn:
        conn.execute(text(f"""
            WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :rows)
            INSERT INTO time_entries (source, external_id, revision, inbox_id, employee,
                project, task, entity, contract, work_date, worked_seconds, billable_seconds,
                billable, notes, content_key, approval, billing, locked, created_at,
                updated_at)
            SELECT source, 'bulk-' || n, revision, inbox_id, employee, project, task, entity,
                'K-' || (n % :contracts), {day}, worked_seconds, billable_seconds, billable,
                notes, {key},
                CASE WHEN n % 599 = 0 THEN 'submitted' ELSE 'approved' END,
                CASE WHEN n % 599 = 0 THEN 'unbilled' WHEN n % 74 = 0 THEN 'credited'
                     WHEN n % 37 = 0 THEN 'unbilled' ELSE 'invoiced' END,
                locked, created_at, updated_at
            FROM time_entries, g WHERE external_id = 'seed'"""),
            {"rows": HISTORY, "contracts": CONTRACTS})
        if stats_when_closed:  # statistics of a moment with no open work, then new work
            conn.execute(text("UPDATE time_entries SET billing = 'invoiced' "
                              "WHERE billing IN ('unbilled', 'credited') "
                              "AND approval = 'approved' AND external_id <> 'seed'"))
            conn.execute(text("ANALYZE"))
            conn.execute(text("UPDATE time_entries SET billing = CASE WHEN id % 74 = 1 "
                              "THEN 'credited' ELSE 'unbilled' END WHERE id % 37 = 1 "
                              "AND approval = 'approved' AND external_id <> 'seed'"))
        else:
            conn.execute(text("ANALYZE"))


@contextmanager
def _captured(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "time_entries" in statement:
            seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", keep)


def _plan(conn: Connection, statement: str, parameters: Any) -> str:
    """The database's plan of ``statement`` as sent, as text."""
    driver = conn.connection.driver_connection
    assert driver is not None
    if conn.dialect.name == "sqlite":
        return " | ".join(str(r[-1]) for r in driver.execute(
            f"EXPLAIN QUERY PLAN {statement}", parameters or ()).fetchall())
    with driver.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters or None)
        row = cur.fetchone()
    assert row is not None
    return json.dumps(row[0])


def _on_index(plan: str, index: str, sqlite: bool) -> None:
    assert index in plan, plan
    if sqlite:  # a scan of the table itself reads "SCAN time_entries" with no index after it
        assert not any(step.strip() == "SCAN time_entries" for step in plan.split("|")), plan
    else:
        assert '"Seq Scan", "Parallel Aware": false, "Async Capable": false, ' \
               '"Relation Name": "time_entries"' not in plan, plan
        assert "Index" in plan or "Bitmap" in plan, plan


def _sent(conn: Connection, run: Callable[[], Any]) -> list[tuple[str, Any]]:
    with _captured(conn) as seen:
        run()
    assert seen
    return seen


@pytest.mark.parametrize("stats_when_closed", [False, True], ids=["stats", "stale-stats"])
def test_billing_reads_open_work_through_the_open_index(
        loaded: Hourbridge, ingest: Callable[..., Any], stats_when_closed: bool) -> None:
    """Also with statistics taken while no work was open (SQLite then has no statistics of
    the empty open index, and without INDEXED BY skip-scanned the contract index)."""
    _fill(loaded, ingest, stats_when_closed)
    sqlite = loaded.engine.dialect.name == "sqlite"
    with loaded.engine.connect() as conn:
        entries = SqlEntries(conn)
        rows: list[Any] = []
        selected = _sent(conn, lambda: rows.extend(entries.select(BILLING)))
        counts: dict[str, int] = {}
        counted = _sent(conn, lambda: counts.update(entries.contract_counts(
            EntrySelection(approval=BILLING.approval, billing=OPEN, billable=True,
                           date_to=BILLING.date_to))))
        # the open entries of the three contracts, and of every contract
        assert len(rows) == sum(counts[k] for k in BILLING.contracts) > 0
        if not stats_when_closed:
            assert sum(counts.values()) == len(OPEN_ROWS)
        for statement, parameters in selected + counted:
            _on_index(_plan(conn, statement, parameters), "ix_time_entries_open", sqlite)
        conn.rollback()


def test_approval_reads_pending_work_through_the_pending_index(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    _fill(loaded, ingest)
    sqlite = loaded.engine.dialect.name == "sqlite"
    with loaded.engine.connect() as conn:
        rows: list[Any] = []
        sent = _sent(conn, lambda: rows.extend(SqlEntries(conn).select(EntrySelection(
            date_from=date(2025, 1, 1), approval=("draft", "submitted")))))
        assert len(rows) == len(PENDING_ROWS) + 1  # and the ingested seed
        for statement, parameters in sent:
            _on_index(_plan(conn, statement, parameters), "ix_time_entries_pending", sqlite)
        conn.rollback()


def test_issuing_updates_its_entries_by_primary_key(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    """``relieve_whole``'s UPDATE (on PostgreSQL inside the one statement that also marks
    and sums) finds the entries by primary key, never by a scan of the history: on
    PostgreSQL the ids as one array, which only an index scan can serve."""
    _fill(loaded, ingest)
    sqlite = loaded.engine.dialect.name == "sqlite"
    with loaded.engine.connect() as conn:
        entries = SqlEntries(conn)
        # a batch of one invoice that links nothing: the statements are sent, and planned,
        # as for any batch
        sent = _sent(conn, lambda: entries.relieve_whole([1], [1], datetime.now(UTC)))
        updates = [(s, p) for s, p in sent if "UPDATE time_entries" in s]
        assert len(updates) == 1
        plan = _plan(conn, *updates[0])
        if sqlite:
            assert "USING INTEGER PRIMARY KEY" in plan, plan
            assert not any(step.strip() == "SCAN time_entries"
                           for step in plan.split("|")), plan
        else:
            assert "pk_time_entries" in plan, plan
            assert '"Node Type": "Seq Scan", "Parallel Aware": false, "Async Capable": ' \
                   'false, "Relation Name": "time_entries"' not in plan, plan
        conn.rollback()
