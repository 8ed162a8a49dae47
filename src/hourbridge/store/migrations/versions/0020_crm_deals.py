"""crm deals: one row per won opportunity (its id unique), the draft waiting to be confirmed

Revision ID: 0020_crm_deals
Revises: 0019_governed_api
Create Date: 2026-12-06

Issue 11 item 8: a Salesforce opportunity reaching Closed Won, pulled or pushed, is taken
once; its draft contract waits in state ``proposed`` until a person confirms the rates.
"""
from alembic import op
import sqlalchemy as sa

import hourbridge.store.types


revision = "0020_crm_deals"
down_revision = "0019_governed_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'crm_deals',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False,
                  autoincrement=True),
        sa.Column('opportunity_id', sa.String(length=40), nullable=False),
        sa.Column('connection', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('customer', sa.String(length=64), nullable=True),
        sa.Column('matched_by', sa.String(length=16), nullable=False),
        sa.Column('candidates', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=True),
        sa.Column('deal', sa.JSON(), nullable=False),
        sa.Column('received_by', sa.String(length=24), nullable=False),
        sa.Column('received_at', hourbridge.store.types.UtcDateTime(timezone=True),
                  nullable=False),
        sa.Column('contract', sa.String(length=64), nullable=True),
        sa.Column('decided_by', sa.String(length=200), nullable=True),
        sa.Column('decided_at', hourbridge.store.types.UtcDateTime(timezone=True),
                  nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_deals')),
        sa.UniqueConstraint('opportunity_id', name=op.f('uq_crm_deals_opportunity_id')),
    )
    op.create_index(op.f('ix_crm_deals_connection'), 'crm_deals', ['connection'])
    op.create_index(op.f('ix_crm_deals_account_id'), 'crm_deals', ['account_id'])
    op.create_index(op.f('ix_crm_deals_state'), 'crm_deals', ['state'])


def downgrade() -> None:
    op.drop_index(op.f('ix_crm_deals_state'), table_name='crm_deals')
    op.drop_index(op.f('ix_crm_deals_account_id'), table_name='crm_deals')
    op.drop_index(op.f('ix_crm_deals_connection'), table_name='crm_deals')
    op.drop_table('crm_deals')
