"""The KPI rollups' one hook in the write paths: a bulk writer on SQLite keeps
``kpi_approval_days`` set-based instead of row by row.

The rollup is kept by triggers (migration ``0023_kpi_rollups``); on PostgreSQL they are
statement-level, already one grouped upsert per statement. SQLite has only row triggers: an
approval of 20,000 entries would run 20,000 upserts (about 17 us each). ``bulk_rewrite``
instead takes the entries' contributions out before the write and puts them back after it,
each in one grouped statement over the ids, while a row in ``kpi_rollup_bulk`` makes the row
triggers stand aside. The result is the same as the triggers' (the property test in
tests/integration/test_kpi_rollups.py checks it after every approval).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

_IDS = "kpi_rollup_ids"  # session-local (TEMP) table of the ids being written
_DELTA = (
    "INSERT INTO kpi_approval_days (entity, customer, work_date, approved_on, entries) "
    "SELECT te.entity, p.customer, te.work_date, substr(te.approved_at, 1, 10), "
    "{sign} * count(*) FROM " + _IDS + " k JOIN time_entries te ON te.id = k.id "
    "JOIN projects p ON p.code = te.project "
    "WHERE te.approval = 'approved' AND te.approved_at IS NOT NULL "
    "GROUP BY te.entity, p.customer, te.work_date, substr(te.approved_at, 1, 10) "
    "ON CONFLICT (entity, customer, work_date, approved_on) "
    "DO UPDATE SET entries = kpi_approval_days.entries + excluded.entries")


@contextmanager
def bulk_rewrite(conn: Connection, ids: Iterable[int]) -> Iterator[None]:
    """Around a statement that rewrites the time entries ``ids`` in this transaction: their
    rollup contributions before it are subtracted, after it added (SQLite; elsewhere the
    triggers do it)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {_IDS} (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql(f"DELETE FROM {_IDS}")
    conn.exec_driver_sql(f"INSERT OR IGNORE INTO {_IDS} (id) VALUES (?)", [(i,) for i in ids])
    conn.exec_driver_sql(_DELTA.format(sign=-1))
    conn.exec_driver_sql("INSERT INTO kpi_rollup_bulk (writer) VALUES (1)")
    try:
        yield
    finally:  # never leave the triggers switched off for the rest of the transaction
        conn.exec_driver_sql("DELETE FROM kpi_rollup_bulk")
    conn.exec_driver_sql(_DELTA.format(sign=1))
