"""invoice lines keep the original amount, currency and rate of converted expenses

Revision ID: 0004_expense_fx
Revises: 0003
Create Date: 2026-12-06

An expense spent in another currency than its contract is billed converted into the contract
currency; its line keeps what was spent and the rate, so the customer can re-compute it and
the e-invoice can say it. Lines written before this revision stay NULL (none was converted).
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0004_expense_fx'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('original_amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8),
                                      nullable=True))
        batch_op.add_column(sa.Column('original_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('original_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_column('original_rate')
        batch_op.drop_column('original_currency')
        batch_op.drop_column('original_amount')
