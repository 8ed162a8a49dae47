"""Intake stages each batch (issue 16, item 5): stored ids and taken contents are found by
set-based look-ups of the whole batch (SQLite: joins against the session's unindexed staging
table; PostgreSQL: array look-ups of the batch held in memory), and the new rows go into
``time_entries`` in one statement (``INSERT … SELECT``; ``COPY``). What a row becomes is
exactly what it was when rows were looked up one list at a time: these tests hold the
outcomes across several batches (a small ``BATCH``), the file order of the stored rows, and
that staging is nobody's stored data (the audit counts writes where rows are moved to).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hourbridge.bootstrap import Hourbridge
from hourbridge.services import intake
from hourbridge.services.ports.entries import NewEntry
from hourbridge.store.audit import WriteTracker
from hourbridge.store.entries import SqlEntries

AT = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def _row(external_id: str, day: int, hours: str = "1.5", notes: str = "") -> tuple[Any, ...]:
    return (external_id, "E1", "P1", "DEV", f"2026-09-{day:02d}", hours,
            notes or f"work {external_id}")


def test_staged_batches_classify_as_before_and_keep_file_order(
        loaded: Hourbridge, ingest: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "BATCH", 3)  # seven rows: three batches, duplicates across
    first = ingest([
        _row("A1", 1), _row("A2", 2), _row("A2", 3),             # an id twice in one batch
        _row("A3", 4), _row("A4", 1, notes="work A1"),           # A1's content, next batch
        _row("A5", 5), _row("A6", 6)])
    assert (first.rows, first.accepted, first.rejected) == (7, 5, 2)
    assert first.reasons == {"duplicate_entry": 2}

    second = ingest([
        _row("A1", 1),                                           # unchanged
        _row("A3", 4, hours="2"),                                # new content: a revision
        _row("B1", 7), _row("B2", 5, notes="work A5")],          # A5's content
        name="second.csv")
    assert (second.accepted, second.revised, second.unchanged, second.rejected) == (1, 1, 1, 1)
    assert second.reasons == {"duplicate_entry": 1}

    with loaded.engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT external_id, worked_seconds FROM time_entries ORDER BY id")).all()
    # ids follow the file, batch after batch
    assert [r[0] for r in stored] == ["A1", "A2", "A3", "A5", "A6", "B1"]
    assert dict(stored)["A3"] == 7200


def test_staged_rows_count_where_they_are_moved_to(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest([_row("S0", 1)])  # an inbox row for the staged rows to name
    entries = [NewEntry(
        source="harvest", external_id=f"S{i}", revision=1, inbox_id=1, employee="E1",
        project="P1", task="DEV", entity="DE", contract=None, work_date=date(2026, 9, 2),
        worked_seconds=3600, billable_seconds=0, billable=False, notes=f"staged {i}",
        content_key=f"{i:032d}", approval="submitted", billing="non_billable")
        for i in range(1, 5)]
    with loaded.engine.connect() as conn:
        tracker = WriteTracker()
        tracker.attach(conn)
        repo = SqlEntries(conn)
        stored, taken = repo.stage(entries, AT)
        assert (stored, taken) == ({}, set())
        moved = repo.move_staged([1])  # S2 not taken
        tracker.detach(conn)
        again, taken_again = repo.stage(entries, AT)  # the staging table starts empty again
        ids = conn.execute(text(
            "SELECT external_id FROM time_entries WHERE external_id LIKE 'S_' ORDER BY id"
        )).scalars().all()
        conn.rollback()
    assert moved == 3
    assert ids == ["S0", "S1", "S3", "S4"]
    assert tracker.changes == {"time_entries": 3}  # staging is scratch, not a change
    assert tracker.digest != WriteTracker().digest  # the staged rows are in the digest
    assert sorted(again) == ["S1", "S3", "S4"] and len(taken_again) == 3


def test_an_intake_row_names_an_inbox_payload_that_exists(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    """The inbox reference holds on both engines: SQLite's foreign key, PostgreSQL's checks
    once per statement (0030_refs_per_statement). A batch naming a payload nobody
    kept, a revision moved to one, and removing a payload rows still name are refused with
    the foreign key's own error (IntegrityError, SQLSTATE 23503 on PostgreSQL)."""
    ingest([_row("K1", 1)])
    orphan = [NewEntry(
        source="harvest", external_id="K2", revision=1, inbox_id=999_999, employee="E1",
        project="P1", task="DEV", entity="DE", contract=None, work_date=date(2026, 9, 2),
        worked_seconds=3600, billable_seconds=0, billable=False, notes="no payload",
        content_key="k" * 32, approval="submitted", billing="non_billable")]
    statements = [
        "UPDATE time_entries SET inbox_id = 999999 WHERE external_id = 'K1'",
        "DELETE FROM inbox",
    ]
    with loaded.engine.connect() as conn:
        repo = SqlEntries(conn)
        repo.stage(orphan, AT)
        with pytest.raises(IntegrityError) as refused, conn.begin_nested():
            repo.move_staged([])
        codes = [getattr(refused.value.orig, "sqlstate", None)]
        for statement in statements:
            with pytest.raises(IntegrityError) as refused, conn.begin_nested():
                conn.execute(text(statement))
            codes.append(getattr(refused.value.orig, "sqlstate", None))
        # what changes nothing of the reference is not refused
        conn.execute(text("UPDATE time_entries SET notes = 'kept' WHERE external_id = 'K1'"))
        kept = conn.execute(text(
            "SELECT count(*) FROM time_entries t JOIN inbox i ON i.id = t.inbox_id")).scalar()
        conn.rollback()
    if loaded.engine.dialect.name == "postgresql":
        assert codes == ["23503"] * 3
    assert kept == 1
