"""how each payment read back settled its document: money or another document

Revision ID: 0021_credit_payments
Revises: 0020_crm_deals
Create Date: 2026-12-06

``invoice_payments.via``: ``payment`` (money received on an invoice, refunded on a credit
note) or ``offset`` (a credit note applied to an invoice, recorded on both), so a credit note
shows whether it was applied or refunded (issue 12, item 7). Rows read before keep
``payment``, which is what they were read as.
"""
from alembic import op
import sqlalchemy as sa


revision = "0021_credit_payments"
down_revision = "0020_crm_deals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=16), nullable=False,
                                      server_default='payment'))


def downgrade() -> None:
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.drop_column('via')
