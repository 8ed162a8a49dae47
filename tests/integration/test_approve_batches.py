"""Two approval batches in one transaction (an approval of more than a batch of entries):
on PostgreSQL the second reaches its own entries only, whatever the first left in the
session's ``approving_priced`` table (``store/approval_ledger.py``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from hourbridge.store import tables as t
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
