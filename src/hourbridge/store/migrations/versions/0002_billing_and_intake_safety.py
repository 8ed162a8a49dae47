"""Billing and intake safety: a second billed at most once, one new entry (and one new
expense) per content, and how often an inbox payload's processing began.

Existing rows: the first row (lowest id) of each content takes it as its intake key, so duplicate
checks see everything stored before; rows that concurrent intakes duplicated before this
revision stay as they are, without a key. The intake key's unique index replaces the index on
content_key (duplicate lookups go to the intake key).

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


def _claim_contents(table: str) -> None:
    op.execute(f"UPDATE {table} SET intake_key = content_key WHERE id IN "
               f"(SELECT MIN(id) FROM {table} GROUP BY content_key)")


def _refuse_overbilled() -> None:
    """Entries already billed beyond what they bill cannot take the check: name them, change
    nothing (credit or void the invoices that bill them twice, then upgrade again)."""
    rows = op.get_bind().execute(sa.text(
        f"SELECT id FROM time_entries WHERE NOT ({_BILLED_ONCE}) ORDER BY id")).scalars().all()
    if rows:
        raise RuntimeError(
            f"time_entries {', '.join(map(str, rows[:20]))}{' ...' if len(rows) > 20 else ''}"
            f": {len(rows)} entries are billed or written off beyond their billable seconds; "
            "credit or void the invoices that bill them twice, then run `hourbridge db "
            "upgrade` again")


def upgrade() -> None:
    _refuse_overbilled()
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=32), nullable=True))
    _claim_contents('time_entries')
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_time_entries_content_key')
        batch_op.create_unique_constraint('uq_time_entries_intake_key', ['intake_key'])
        batch_op.create_check_constraint('billed_at_most_once', _BILLED_ONCE)
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=32), nullable=True))
    _claim_contents('expenses')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_content_key')
        batch_op.create_unique_constraint('uq_expenses_intake_key', ['intake_key'])
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('attempts')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_constraint('uq_expenses_intake_key', type_='unique')
        batch_op.drop_column('intake_key')
        batch_op.create_index('ix_expenses_content_key', ['content_key'], unique=False)
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_constraint('billed_at_most_once', type_='check')
        batch_op.drop_constraint('uq_time_entries_intake_key', type_='unique')
        batch_op.drop_column('intake_key')
        batch_op.create_index('ix_time_entries_content_key', ['content_key'], unique=False)
