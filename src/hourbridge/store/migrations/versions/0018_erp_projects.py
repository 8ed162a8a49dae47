"""ERP projects in the identity map

Revision ID: 0018_erp_projects
Revises: 0017_schedules
Create Date: 2026-12-06

``erp_project_map`` keeps, per ERP destination and project of ours, the ERP's own project id
and the rule that matched it (external id, code or exact name), as the last
``erp projects pull`` found it (``hourbridge.domain.erp_identity.match_projects``).
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0018_erp_projects'
down_revision = '0017_schedules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erp_project_map',
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('erp_id', sa.String(length=64), nullable=False),
    sa.Column('matched_by', sa.String(length=16), nullable=False),
    sa.Column('erp_name', sa.String(length=200), nullable=False),
    sa.Column('pulled_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('destination', 'project', name=op.f('pk_erp_project_map'))
    )


def downgrade() -> None:
    op.drop_table('erp_project_map')
