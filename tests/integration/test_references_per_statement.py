"""The references of the tables Hourbridge writes in bulk hold on both engines (issue 16).
SQLite keeps them as foreign keys; PostgreSQL checks them once per statement by triggers
(migration 0030_refs_per_statement), since its keys checked each written row on its own.

Every way the rule can be broken is refused with the foreign key's own error: a statement
that writes a row naming a missing row (also among many valid ones), an update that moves a
row to a missing one, and removing or renumbering a row that is still named. What breaks
nothing (an update of other columns, a removal of a row nobody names) is not refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c


def _billed(hb: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest([(f"R{i}", "E1", "P1", "DEV", f"2026-09-{1 + i:02d}", "1.5", f"work {i}")
            for i in range(3)])
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    assert hb.handle(c.RunBilling(date(2026, 12, 31))).entries_billed == 3
    ingest([("U1", "E1", "P1", "DEV", "2026-09-20", "2", "not billed")], name="u.csv")


# (what it breaks, statement): each must be refused
BROKEN = [
    ("an entry naming a missing payload",
     "INSERT INTO time_entries (source, external_id, revision, inbox_id, employee, project, "
     "task, entity, contract, work_date, worked_seconds, billable_seconds, billable, notes, "
     "content_key, approval, billing, locked, created_at, updated_at) SELECT source, "
     "external_id || 'x', revision, 999999, employee, project, task, entity, contract, "
     "work_date, worked_seconds, billable_seconds, billable, notes, content_key, approval, "
     "billing, locked, created_at, updated_at FROM time_entries"),
    ("an entry moved to a missing payload",
     "UPDATE time_entries SET inbox_id = 999999 WHERE external_id = 'R1'"),
    ("a payload still named", "DELETE FROM inbox"),
    ("a payload renumbered", "UPDATE inbox SET id = id + 1000"),
    ("links naming a missing entry, among valid ones",
     "INSERT INTO invoice_line_entries (line, entry, seconds) "
     "SELECT (SELECT min(line) FROM invoice_line_entries), id, 1 FROM time_entries "
     "WHERE external_id = 'U1' "
     "UNION ALL SELECT min(line), 999999, 1 FROM invoice_line_entries"),
    ("a link moved to a missing line", "UPDATE invoice_line_entries SET line = 999999"),
    ("an entry still linked", "DELETE FROM time_entries"),
    ("a line naming a missing invoice", "UPDATE invoice_lines SET invoice = 999999"),
    ("an invoice still named by its lines", "DELETE FROM invoices"),
    ("a line still linked, renumbered", "UPDATE invoice_lines SET id = id + 1000"),
]


@pytest.mark.parametrize(("broken", "statement"), BROKEN, ids=[b for b, _ in BROKEN])
def test_a_broken_reference_is_refused(loaded: Hourbridge, ingest: Callable[..., Any],
                                       broken: str, statement: str) -> None:
    _billed(loaded, ingest)
    postgres = loaded.engine.dialect.name == "postgresql"
    with loaded.engine.connect() as conn:
        with pytest.raises(IntegrityError) as refused:
            conn.execute(text(statement))
        conn.rollback()
    if postgres:
        assert getattr(refused.value.orig, "sqlstate", None) == "23503", broken


def test_what_breaks_no_reference_is_taken(loaded: Hourbridge,
                                           ingest: Callable[..., Any]) -> None:
    _billed(loaded, ingest)
    with loaded.engine.connect() as conn:
        conn.execute(text("UPDATE time_entries SET notes = notes || '.', inbox_id = inbox_id"))
        conn.execute(text("UPDATE invoice_line_entries SET seconds = seconds"))
        conn.execute(text(
            "INSERT INTO inbox (source, kind, fingerprint, filename, media_type, received_at, "
            "size_bytes, status) SELECT source, kind, 'f' || substr(fingerprint, 1, 63), "
            "filename, media_type, received_at, size_bytes, status FROM inbox"))
        removed = conn.execute(text(
            "DELETE FROM inbox WHERE fingerprint LIKE 'f%'")).rowcount
        linked = conn.execute(text(
            "SELECT count(*) FROM invoice_line_entries l JOIN time_entries t ON t.id = l.entry "
            "JOIN invoice_lines n ON n.id = l.line JOIN invoices i ON i.id = n.invoice")).scalar()
        conn.rollback()
    assert removed >= 1 and linked == 3
