"""Billing and intake safety: a second billed at most once, one new entry (and one new
expense) per content, and how often an inbox payload's processing began.

Existing rows get no intake key (NULL), so rows that concurrent intakes duplicated before this
revision stay as they are; only new intake is held to the unique key.

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


def upgrade() -> None:
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_time_entries_intake_key', ['intake_key'])
        batch_op.create_check_constraint('billed_at_most_once', _BILLED_ONCE)
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intake_key', sa.String(length=32), nullable=True))
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
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_constraint('billed_at_most_once', type_='check')
        batch_op.drop_constraint('uq_time_entries_intake_key', type_='unique')
        batch_op.drop_column('intake_key')
