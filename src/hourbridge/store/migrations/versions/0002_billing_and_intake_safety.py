"""Billing and intake safety: a second billed at most once, one entry (and one expense) per
content, and how often an inbox payload's processing began.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_BILLED_ONCE = (
    "billed_seconds >= 0 AND written_off_seconds >= 0 AND "
    "(billed_seconds + written_off_seconds <= billable_seconds OR billing = 'invoiced')")


def _refuse_duplicates(table: str) -> None:
    """A database that concurrent intakes filled with duplicate content (before this
    revision) cannot take the unique key: say which rows, change nothing."""
    rows = op.get_bind().execute(sa.text(
        f"SELECT content_key, COUNT(*) FROM {table} GROUP BY content_key HAVING COUNT(*) > 1"
    )).all()
    if rows:
        raise RuntimeError(
            f"{table}: {len(rows)} contents are stored more than once (e.g. content_key "
            f"{rows[0][0]}); reject or delete the extra rows, then run `hourbridge db upgrade` "
            "again")


def upgrade() -> None:
    _refuse_duplicates("time_entries")
    _refuse_duplicates("expenses")
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_time_entries_content_key')
        batch_op.create_unique_constraint('uq_time_entries_content_key', ['content_key'])
        batch_op.create_check_constraint('billed_at_most_once', _BILLED_ONCE)
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_content_key')
        batch_op.create_unique_constraint('uq_expenses_content_key', ['content_key'])
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('attempts')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_constraint('uq_expenses_content_key', type_='unique')
        batch_op.create_index('ix_expenses_content_key', ['content_key'], unique=False)
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_constraint('billed_at_most_once', type_='check')
        batch_op.drop_constraint('uq_time_entries_content_key', type_='unique')
        batch_op.create_index('ix_time_entries_content_key', ['content_key'], unique=False)
