"""Billing rewrites no index of the entries it drafts on PostgreSQL (issue 16, item 2;
migration 0029_billing_open).

A billing run moves each entry from ``unbilled`` to ``on_draft``. With the open index's
predicate on the generated ``billing_open`` (unchanged by that move) and the table's
fillfactor leaving room on each page, PostgreSQL can make those updates HOT: the new row
version stays on its page and no index gets a new row. This test ingests and approves
entries through the product, bills them through the store's own ``bill_open``, and reads
PostgreSQL's count of HOT updates in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.store.entries import SqlEntries

ENTRIES = 400


def _updates(conn: Connection) -> tuple[int, int]:
    """Updates and HOT updates of time_entries this backend counted and has not yet
    reported (PostgreSQL 15 keeps them across transactions until it flushes them, so the
    test takes the difference)."""
    updated, hot = conn.execute(text(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
        "WHERE relname = 'time_entries'")).one()
    return updated, hot


def test_billing_updates_of_entries_are_hot(loaded: Hourbridge,
                                            ingest: Callable[..., Any]) -> None:
    if loaded.engine.dialect.name != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's; SQLite rewrites the row in place")
    start = date(2026, 8, 1)
    ingest([(f"hot-{n}", "E1", "P1", "DEV", (start + timedelta(days=n % 28)).isoformat(),
             "1.5", f"n{n}") for n in range(ENTRIES)])
    loaded.handle(c.ApproveEntries("approver", date_from=date(2026, 1, 1)))
    # a new backend: one that ran the approval may keep the visibility horizon it computed
    # while the approval was running as long as the oldest running transaction of the
    # cluster (another test's) stays the same, and then cannot prune the approval's dead
    # row versions to make room (PostgreSQL's GlobalVisState)
    loaded.engine.dispose()
    with loaded.engine.connect() as conn:
        open_rows = conn.execute(text(
            "SELECT id, billable_seconds FROM time_entries "
            "WHERE approval = 'approved' AND billing_open AND billable")).all()
        assert len(open_rows) == ENTRIES
        before = _updates(conn)
        SqlEntries(conn).bill_open([(i, s) for i, s in open_rows], datetime.now(UTC))
        updated, hot = (a - b for a, b in zip(_updates(conn), before, strict=True))
        still_open = conn.execute(text(
            "SELECT count(*) FROM time_entries WHERE billing = 'on_draft' "
            "AND billing_open")).scalar_one()
        conn.rollback()
    assert updated == ENTRIES and still_open == ENTRIES
    # before 0029 none of them could be HOT (``billing`` was in the open index's predicate)
    assert hot >= 0.9 * ENTRIES, f"{hot} of {updated} billing updates were HOT"
