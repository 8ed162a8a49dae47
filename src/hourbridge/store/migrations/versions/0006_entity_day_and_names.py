"""each legal entity's time zone; fx_rate_date 'invoice_date' is named 'issue_date'

Revision ID: 0006_entity_day_and_names
Revises: 0005_connectors
Create Date: 2026-12-06

``entities.timezone`` (an IANA name) gives the entity's calendar day: today, default issue,
due and posting dates, and period-lock checks. Entities stored before this revision read as
``UTC``, the day they had until now.

A contract's FX rate-date policy ``invoice_date`` is called ``issue_date`` (docs/GLOSSARY.md:
one name per concept); stored contracts are renamed here, bundles may still say
``invoice_date`` for one version.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_entity_day_and_names'
down_revision = '0005_connectors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC',
                                      nullable=False))
    op.execute("UPDATE contracts SET fx_rate_date = 'issue_date' "
               "WHERE fx_rate_date = 'invoice_date'")


def downgrade() -> None:
    op.execute("UPDATE contracts SET fx_rate_date = 'invoice_date' "
               "WHERE fx_rate_date = 'issue_date'")
    with op.batch_alter_table('entities', schema=None) as batch_op:
        batch_op.drop_column('timezone')
