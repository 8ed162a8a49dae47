"""tracker connectors, second part: refused webhook deliveries, tracker export marks

Revision ID: 0016_tracker_connectors
Revises: 0015_payments
Create Date: 2026-12-06

``webhook_quarantine`` keeps each refused webhook delivery (bad signature, a replay outside
the window, a body its tracker's format cannot read) with its reason, its headers without
secrets and its body; nothing in it is ever processed. ``tracker_exports`` records each
invoiced entry marked exported at its tracker (Kimai).
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = "0016_tracker_connectors"
down_revision = "0015_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tracker_exports',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('marked_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection'], ['connections.name'],
                            name=op.f('fk_tracker_exports_connection_connections'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('connection', 'external_id', name=op.f('pk_tracker_exports'))
    )
    op.create_table('webhook_quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('headers', sa.Text(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', hourbridge.store.types.UtcDateTime(timezone=True),
              nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_quarantine'))
    )
    op.create_index(op.f('ix_webhook_quarantine_connection'), 'webhook_quarantine',
                    ['connection'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_quarantine_connection'), table_name='webhook_quarantine')
    op.drop_table('webhook_quarantine')
    op.drop_table('tracker_exports')
