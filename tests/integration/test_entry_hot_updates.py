"""Billing rewrites no index of the entries it drafts on PostgreSQL (issue 16, item 2;
migration 0029_billing_open).

A billing run moves each entry from ``unbilled`` to ``on_draft``. With the open index's
predicate on the generated ``billing_open`` (unchanged by that move) and the table's
fillfactor leaving room on each page, PostgreSQL can make those updates HOT: the new row
version stays on its page and no index gets a new row. This test stores approved entries,
bills them through the store's own ``bill_open``, and reads PostgreSQL's count of HOT
updates in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.store.entries import SqlEntries
from integration.test_entry_index_plans import _captured, _on_index, _plan
from integration.test_pg_plans import fill_entries

ENTRIES = 400


def _updates(conn: Connection) -> tuple[int, int]:
    """Updates and HOT updates of time_entries this backend counted and has not yet
    reported (PostgreSQL 15 keeps them across transactions until it flushes them, so the
    test takes the difference)."""
    updated, hot = conn.execute(text(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
        "WHERE relname = 'time_entries'")).one()
    return updated, hot


def _stored(loaded: Hourbridge, ingest: Callable[..., Any], why: str) -> None:
    """``ENTRIES`` approved and unbilled as stored, copies of an ingested row: pages as
    inserts fill them (to the fillfactor), with no dead row version of an approval on them,
    so the room does not depend on when PostgreSQL may prune (other tests' transactions can
    delay that). PostgreSQL only (``why``: what SQLite does instead)."""
    if loaded.engine.dialect.name != "postgresql":
        pytest.skip(why)
    ingest([("seed", "E1", "P1", "DEV", "2026-08-03", "1.5", "seed")])
    with loaded.engine.begin() as conn:
        fill_entries(conn, ENTRIES, days=20, prefix="bulk-")


def test_billing_updates_of_entries_are_hot(loaded: Hourbridge,
                                            ingest: Callable[..., Any]) -> None:
    _stored(loaded, ingest, "HOT updates are PostgreSQL's; SQLite rewrites the row in place")
    with loaded.engine.connect() as conn:
        open_rows = conn.execute(text(
            "SELECT id, billable_seconds FROM time_entries "
            "WHERE approval = 'approved' AND billing_open AND billable "
            "AND external_id <> 'seed'")).all()
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


def test_billing_updates_its_entries_by_key_not_by_a_scan(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    """The UPDATE ``bill_open`` sends names the entries as one array from a subquery, so
    PostgreSQL reads them by primary key whatever it knows of the batch: joined to the
    unnested ids alone, a batch of 56,544 of 1,000,000 entries was a hash join over a scan
    of the whole table. The plan of the statement as sent, for 300 of 400 entries."""
    _stored(loaded, ingest, "SQLite updates by primary key one entry at a time")
    with loaded.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, billable_seconds FROM time_entries WHERE external_id <> 'seed' "
            "ORDER BY id LIMIT 300")).all()
        with _captured(conn) as sent:
            SqlEntries(conn).bill_open([(i, s) for i, s in rows], datetime.now(UTC))
        updates = [(s, p) for s, p in sent if "UPDATE time_entries" in s]
        assert len(updates) == 1
        plan = _plan(conn, *updates[0])
        conn.rollback()
    assert '"Index Name": "pk_time_entries"' in plan, plan
    _on_index(plan, "pk_time_entries", sqlite=False)  # and no scan of time_entries
