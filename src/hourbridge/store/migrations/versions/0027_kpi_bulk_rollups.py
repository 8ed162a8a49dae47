"""KPI rollups of Hourbridge's own bulk inserts, set-based on SQLite

Revision ID: 0027_kpi_bulk_rollups
Revises: 0026_kpi_rollups_more
Create Date: 2026-12-06

Issue 16, performance. On SQLite the rollup triggers of ``0024_kpi_rollups`` and
``0026_kpi_rollups_more`` are row triggers: an intake of 100,000 entries ran 100,000 upserts
into ``kpi_work_days`` (about half of the ``INSERT ... SELECT`` that moves them), a billing run
two upserts per invoice-entry link. Hourbridge's own bulk inserts now maintain the rollups
with one grouped upsert per rollup per statement instead (``store/kpi_bulk.py``), in the same
transaction; to tell the triggers, they insert a row naming the table into
``kpi_rollup_deferred`` before their INSERT and delete it right after (the table is empty
whenever no such write runs, so it is empty in every committed state).

Here the three SQLite INSERT triggers (``kpi_approval_days_ins``, ``kpi_work_days_ins``,
``kpi_billed_links_ins``) are re-created with ``AND NOT EXISTS (a marker for their table)``
added to their WHEN; their bodies are unchanged. Every other writer (another tool, a path
without the marker) is still counted by them. SQLite has a single writer: while a marker row
exists, no other connection can write, and a crash rolls the marker back with the rest.

PostgreSQL keeps its statement-level triggers (already one set-based upsert per statement);
the marker table exists there too, unused, so both schemas match the metadata.

On SQLite, a later migration that rebuilds ``time_entries`` or ``invoice_line_entries`` must
call ``create_triggers`` of 0024 and 0026 and then of this revision.
"""
from alembic import op
import sqlalchemy as sa


revision = "0027_kpi_bulk_rollups"
down_revision = "0026_kpi_rollups_more"
branch_labels = None
depends_on = None

# frozen copies of the triggers as 0024 / 0026 create them (name -> (WHEN, body)); "" = none
_TRIGGERS = {
    "kpi_approval_days_ins": (
        "time_entries", "NEW.approval = 'approved' AND NEW.approved_at IS NOT NULL",
        "INSERT INTO kpi_approval_days (entity, customer, work_date, approved_on, entries)  "
        "SELECT NEW.entity, p.customer, NEW.work_date, substr(NEW.approved_at, 1, 10), 1 "
        "FROM projects p WHERE p.code = NEW.project AND NEW.approval = 'approved' AND "
        "NEW.approved_at IS NOT NULL ON CONFLICT (entity, customer, work_date, approved_on) "
        "DO UPDATE SET entries = kpi_approval_days.entries + excluded.entries;"),
    "kpi_work_days_ins": (
        "time_entries", "NEW.deleted_at IS NULL",
        "INSERT INTO kpi_work_days (employee, project, work_date, entries, worked, billable) "
        "SELECT * FROM (SELECT NEW.employee AS employee, NEW.project AS project, "
        "NEW.work_date AS work_date, 1 AS entries, 1 * NEW.worked_seconds AS worked, "
        "CASE WHEN NEW.billable THEN 1 * NEW.worked_seconds ELSE 0 END AS billable "
        "FROM (SELECT 1) WHERE NEW.deleted_at IS NULL AND true) s WHERE true "
        "ON CONFLICT (employee, project, work_date) DO UPDATE SET "
        "entries = kpi_work_days.entries + excluded.entries, "
        "worked = kpi_work_days.worked + excluded.worked, "
        "billable = kpi_work_days.billable + excluded.billable;"),
    "kpi_billed_links_ins": (
        "invoice_line_entries", "",
        "INSERT INTO kpi_billed_days (invoice, work_date, approved_on, parts) "
        "SELECT * FROM (SELECT ln.invoice AS invoice, te.work_date AS work_date, "
        "substr(te.approved_at, 1, 10) AS approved_on, 1 AS parts FROM time_entries te "
        "JOIN invoice_lines ln ON ln.id = NEW.line WHERE NEW.seconds > 0 AND "
        "te.approved_at IS NOT NULL AND te.id = NEW.entry) s WHERE true "
        "ON CONFLICT (invoice, work_date, approved_on) DO UPDATE SET "
        "parts = kpi_billed_days.parts + excluded.parts; "
        "INSERT INTO kpi_billed_lines (line, links, seconds, worked) "
        "SELECT * FROM (SELECT NEW.line AS line, 1 AS links, 1 * NEW.seconds AS seconds, "
        "1 * te.worked_seconds AS worked FROM time_entries te WHERE te.id = NEW.entry) s "
        "WHERE true ON CONFLICT (line) DO UPDATE SET "
        "links = kpi_billed_lines.links + excluded.links, "
        "seconds = kpi_billed_lines.seconds + excluded.seconds, "
        "worked = kpi_billed_lines.worked + excluded.worked;"),
}


def _create(deferrable: bool) -> None:
    for name, (table, when, body) in _TRIGGERS.items():
        conditions = [when] if when else []
        if deferrable:
            # one probe of an empty table's primary key per row when no bulk insert runs
            conditions.append("NOT EXISTS (SELECT 1 FROM kpi_rollup_deferred d "
                              f"WHERE d.source = '{table}')")
        guard = f"WHEN {' AND '.join(conditions)} " if conditions else ""
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table} {guard}BEGIN {body} END")


def create_triggers() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _create(deferrable=True)


def upgrade() -> None:
    op.create_table(
        "kpi_rollup_deferred",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        _create(deferrable=False)
    op.drop_table("kpi_rollup_deferred")
