"""payments read back from the ERPs

Revision ID: 0015_payments
Revises: 0014_api_keys
Create Date: 2026-12-06

``invoice_payments`` keeps one row per payment an ERP holds against an issued invoice or
credit note (``hourbridge erp payments pull``), keyed by the ERP's own id for it, so reading
the same payment again records nothing; an invoice's paid amount, open amount and last
payment date are summed from it, and it moves to ``paid`` when the ERP says it is.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = "0015_payments"
down_revision = "0014_api_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invoice_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('invoice', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('erp_payment_id', sa.String(length=64), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8),
              nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('recorded_at', hourbridge.store.types.UtcDateTime(timezone=True),
              nullable=False),
    sa.ForeignKeyConstraint(['invoice'], ['invoices.id'],
                            name=op.f('fk_invoice_payments_invoice_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payments')),
    sa.UniqueConstraint('invoice', 'destination', 'erp_payment_id',
                        name='uq_invoice_payments_erp')
    )
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payments_invoice'), ['invoice'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invoice_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payments_invoice'))
    op.drop_table('invoice_payments')
