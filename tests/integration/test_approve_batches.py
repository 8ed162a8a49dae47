"""Two approval batches in one transaction (an approval of more than a batch of entries):
on PostgreSQL the second reaches its own entries only, whatever the first left in the
session's ``approving_priced`` table (``store/approval_ledger.py``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from hourbridge.store import tables as t
from hourbridge.store.engine import make_engine
from hourbridge.store.entries import SqlEntries
from integration.test_kpi_rollups import PG_ENV, START, PostgresRollupMachine, RollupMachine


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_second_batch_approves_only_its_own_entries(database: str) -> None:
    if database == "postgres" and not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    m = PostgresRollupMachine() if database == "postgres" else RollupMachine()
    te = t.time_entries
    at = datetime(2026, 9, 1, tzinfo=UTC)
    try:
        m.ingest([("E1", "P1", START + timedelta(days=i), 30 + i) for i in range(4)])
        with m.hb.engine.connect() as conn:
            ids = list(conn.execute(select(te.c.id).order_by(te.c.id)).scalars())
            conn.commit()
            entries = SqlEntries(conn)
            with conn.begin():
                entries.approve([(i, Decimal(1), "EUR", Decimal(1), None) for i in ids[:2]],
                                at, "first")
                entries.approve([(i, Decimal(2), "EUR", Decimal(1), None) for i in ids[2:]],
                                at, "second")
            got = conn.execute(select(te.c.approved_by, te.c.wip_amount)
                               .where(te.c.id.in_(ids)).order_by(te.c.id)).all()
        assert [(by, Decimal(w)) for by, w in got] == [
            ("first", 1), ("first", 1), ("second", 2), ("second", 2)]
    finally:
        m.teardown()


@pytest.mark.postgres
def test_a_transactions_batches_leave_one_batch_in_the_scratch_table(
        migrated_postgres_url: str) -> None:
    """Each batch after a transaction's first TRUNCATEs ``approving_priced``: a DELETE left
    every earlier batch's rows in its files for the rest of the transaction (no VACUUM comes
    to a temporary table), so every batch read all the dead rows before it, quadratic in the
    batches (1,000,000 entries: 200 batches). A transaction's first batch finds the table
    emptied by the last commit and DELETEs nothing, without TRUNCATE's catalog update."""
    engine = make_engine(migrated_postgres_url)
    at = datetime(2026, 9, 1, tzinfo=UTC)
    sent: list[str] = []

    def emptied(_c: object, _cur: object, statement: str, *_: object) -> None:
        if "approving_priced" in statement and "; " in statement:
            sent.append(statement.rsplit("; ", 1)[1].split()[0])

    event.listen(engine, "before_cursor_execute", emptied)
    # ids no entry has: the UPDATE matches nothing, the scratch table fills all the same
    batch = [[(10_000_000 + b * 5000 + i, Decimal(1), "EUR", Decimal(1), None)
              for i in range(5000)] for b in range(4)]
    try:
        with engine.connect() as conn:
            entries = SqlEntries(conn)
            sizes = []
            with conn.begin():
                for rows in batch[:3]:
                    entries.approve(rows, at, "bulk")
                    sizes.append(conn.exec_driver_sql(
                        "SELECT pg_relation_size('approving_priced')").scalar_one())
                    live = conn.exec_driver_sql(
                        "SELECT count(*), min(id) FROM approving_priced").one()
                    assert live == (5000, rows[0][0])  # this batch's rows, no other
            with conn.begin():
                entries.approve(batch[3], at, "next")
                assert conn.exec_driver_sql(
                    "SELECT count(*) FROM approving_priced").scalar_one() == 5000
        assert sizes[0] > 0 and sizes[2] <= sizes[0], sizes  # was three batches' pages
        assert sent == ["DELETE", "TRUNCATE", "TRUNCATE", "DELETE"]
    finally:
        engine.dispose()
