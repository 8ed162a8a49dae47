"""idempotency keys reserved before the request runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

A key row is inserted (``status='in_progress'``, ``owner``, ``reserved_at``) before the handler
runs, so concurrent requests with one key run once; ``status_code`` and ``response`` are filled
when it finishes (``status='done'``). Rows kept before this revision are finished responses.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='done',
                                      nullable=False))
        batch_op.add_column(sa.Column('owner', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('reserved_at',
                                      hourbridge.store.types.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.alter_column('status_code', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('response', existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys WHERE status <> 'done'")
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.alter_column('response', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('status_code', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('reserved_at')
        batch_op.drop_column('owner')
        batch_op.drop_column('status')
