"""billing_open: the open-work index predicate no longer names ``billing`` (HOT billing on
PostgreSQL)

Revision ID: 0029_billing_open
Revises: 0028_entry_indexes
Create Date: 2026-12-07

Issue 16, item 2. A billing run moves every entry it drafts from ``unbilled`` to ``on_draft``:
both are open work, so the entry stays in ``ix_time_entries_open`` with the same key. But
PostgreSQL decides whether an UPDATE may be HOT (no index touched, the new version on the
same page) by the values of every column an index uses, its predicate's included: ``billing``
was in the open index's predicate, so each billed entry inserted a new row into all six of
the table's other indexes. On the 100k bench database that UPDATE took 4.6 s of a 10.7 s run.

- ``billing_open``, a generated column: whether ``billing`` is an open state (unbilled,
  credited, on_draft). PostgreSQL stores it; its value does not change from unbilled to
  on_draft, so with the index predicate on it (``approval = 'approved' AND billing_open``)
  that UPDATE changes no indexed value. SQLite computes it when read (VIRTUAL: SQLite cannot
  add a stored column) and keeps its index predicate on ``billing`` as written in 0028: it
  has no HOT, and its partial-index match needs the predicate's terms literally.
- ``fillfactor = 50`` on PostgreSQL: a HOT version needs room on its page. Measured on the
  100k bench database (ingest, approve, then the billing run's UPDATE of 88,028 entries,
  with ``billing_open``): fillfactor 100 (the default) 4.18 s, 70 2.44 s, 60 2.10 s,
  50 1.80 s; the table after the run was 99, 94, 86 and 75 MB (the room taken by HOT
  versions is room the non-HOT ones no longer take at the table's end). Pages written
  before this migration keep their fill until rewritten; adding the stored column rewrites
  the table, so an existing database gets the room at once (that rewrite holds an
  exclusive lock: minutes at millions of entries).

Issuing still leaves the open work (on_draft -> invoiced changes ``billing_open``), so it is
not HOT: the entry must leave the open index, which is what keeps billing flat in history.
"""
from alembic import op
import sqlalchemy as sa


revision = "0029_billing_open"
down_revision = "0028_entry_indexes"
branch_labels = None
depends_on = None

# as tables.BILLING_OPEN_STATES writes it
_OPEN_STATES = "billing = 'unbilled' OR billing = 'credited' OR billing = 'on_draft'"
_OLD = sa.text(f"approval = 'approved' AND ({_OPEN_STATES})")
_PG_NEW = sa.text("approval = 'approved' AND billing_open")


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:  # before the column: its rewrite of the table then leaves the room
        op.execute("ALTER TABLE time_entries SET (fillfactor = 50)")
    op.add_column("time_entries", sa.Column(
        "billing_open", sa.Boolean(), sa.Computed(_OPEN_STATES), nullable=True))
    if pg:
        op.drop_index("ix_time_entries_open", table_name="time_entries")
        op.create_index("ix_time_entries_open", "time_entries", ["contract", "work_date"],
                        unique=False, postgresql_where=_PG_NEW)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        op.drop_index("ix_time_entries_open", table_name="time_entries")
        op.create_index("ix_time_entries_open", "time_entries", ["contract", "work_date"],
                        unique=False, postgresql_where=_OLD)
    # not a batch rebuild: SQLite would lose the table's KPI triggers (0024-0026)
    op.execute("ALTER TABLE time_entries DROP COLUMN billing_open")
    if pg:
        op.execute("ALTER TABLE time_entries RESET (fillfactor)")
