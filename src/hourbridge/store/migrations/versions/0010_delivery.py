"""webhook subscriptions and delivery log, dead-letter reasons and replay audit

Revision ID: 0010_delivery
Revises: 0009_webhook_receipts
Create Date: 2026-12-06

``webhook_subscriptions`` holds outbound webhook receivers (the signing secret only as a Fernet
token) and ``webhook_deliveries`` one row per attempt to send to one; ``outbox.dead_reason`` says why a dead letter died (a code); ``dead_letter_replays``
audits every replay (who, when, why, and what it had died of). Dead letters from before this
revision keep a NULL reason: nothing recorded which kind of failure they were.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0010_delivery'
down_revision = '0009_webhook_receipts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_subscriptions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_webhook_subscriptions'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dead_reason', sa.String(length=40), nullable=True))
    op.create_table('dead_letter_replays',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
              nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('dead_reason', sa.String(length=40), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('replayed_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('replayed_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'],
                            name=op.f('fk_dead_letter_replays_outbox_id_outbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letter_replays'))
    )
    op.create_index('ix_dead_letter_replays_outbox', 'dead_letter_replays', ['outbox_id'],
                    unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('subscription', sa.String(length=64), nullable=False),
    sa.Column('webhook_id', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempted_at', hourbridge.store.types.UtcDateTime(timezone=True),
              nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    op.create_index('ix_webhook_deliveries_subscription', 'webhook_deliveries',
                    ['subscription', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_subscription', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index('ix_dead_letter_replays_outbox', table_name='dead_letter_replays')
    op.drop_table('dead_letter_replays')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('dead_reason')
    op.drop_table('webhook_subscriptions')
