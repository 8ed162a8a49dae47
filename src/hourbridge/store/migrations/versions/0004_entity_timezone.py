"""each legal entity's time zone

Revision ID: 0004_entity_timezone
Revises: 0003
Create Date: 2026-12-06

``entities.timezone`` (an IANA name) gives the entity's calendar day: today, default issue,
due and posting dates, and period-lock checks. Entities stored before this revision read as
``UTC``, the day they had until now.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_entity_timezone'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_column('timezone')
