"""webhook deliveries taken per connection

Revision ID: 0009_webhook_deliveries
Revises: 0008_erp_postings
Create Date: 2026-12-06

``webhook_deliveries`` records each webhook delivery a connection took (Toggl's ``event_id``,
else the body's SHA-256) so that a replay is a duplicate, not a second intake. The webhook
secret itself lives sealed in ``connections.secret`` beside the API token: no column.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0009_webhook_deliveries'
down_revision = '0008_erp_postings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_deliveries',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('delivery_id', sa.String(length=100), nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection'], ['connections.name'],
                            name=op.f('fk_webhook_deliveries_connection_connections'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'],
                            name=op.f('fk_webhook_deliveries_inbox_id_inbox')),
    sa.PrimaryKeyConstraint('connection', 'delivery_id', name=op.f('pk_webhook_deliveries'))
    )


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
