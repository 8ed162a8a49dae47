"""ERP identity map

Revision ID: 0012_erp_identity_map
Revises: 0011_pending_approval_index
Create Date: 2026-12-06

``erp_identity_map`` keeps, per ERP destination and customer of ours, the ERP's own customer
id and the rule that matched it (external id, VAT id or exact name), as the last
``erp customers pull`` found it (``hourbridge.domain.erp_identity``).
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0012_erp_identity_map'
down_revision = '0011_pending_approval_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erp_identity_map',
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=False),
    sa.Column('erp_id', sa.String(length=64), nullable=False),
    sa.Column('matched_by', sa.String(length=16), nullable=False),
    sa.Column('erp_name', sa.String(length=200), nullable=False),
    sa.Column('pulled_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('destination', 'customer', name=op.f('pk_erp_identity_map'))
    )


def downgrade() -> None:
    op.drop_table('erp_identity_map')
