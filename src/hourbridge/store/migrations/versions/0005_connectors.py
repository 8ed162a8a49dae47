"""tracker id aliases and connections

Revision ID: 0005_connectors
Revises: 0004_expense_fx
Create Date: 2026-12-06

``id_aliases`` maps a tracker's user, project and task ids to Hourbridge codes per intake
source; ``connections`` holds a tracker connection (secret encrypted at rest) and its sync
cursor.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0005_connectors'
down_revision = '0004_expense_fx'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('id_aliases',
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('source', 'kind', 'external_id', name=op.f('pk_id_aliases'))
    )
    op.create_table('connections',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('tracker', sa.String(length=32), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('cursor', sa.String(length=64), nullable=True),
    sa.Column('synced_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_connections'))
    )


def downgrade() -> None:
    op.drop_table('connections')
    op.drop_table('id_aliases')
