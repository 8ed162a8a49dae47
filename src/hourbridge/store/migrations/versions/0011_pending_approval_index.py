"""a partial index on the entries still waiting for approval

Revision ID: 0011_pending_approval_index
Revises: 0010_delivery
Create Date: 2026-12-06

Approving new work by period read every stored entry of the period and skipped the approved
ones in Python, so approving 100 new entries cost more the more history there was (issue 16,
item 4). Approval now filters ``approval IN ('draft', 'submitted')`` in SQL, served by this
partial index on ``id`` (the order approval pages in) over just those rows; SQLite (3.8+) and
PostgreSQL both support partial indexes, and the predicate is written exactly as queries
write it, which SQLite requires to use the index.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_pending_approval_index'
down_revision = '0010_delivery'
branch_labels = None
depends_on = None

_PENDING = sa.text("approval IN ('draft', 'submitted')")


def upgrade() -> None:
    op.create_index('ix_time_entries_pending', 'time_entries', ['id'], unique=False,
                    sqlite_where=_PENDING, postgresql_where=_PENDING)


def downgrade() -> None:
    op.drop_index('ix_time_entries_pending', table_name='time_entries')
