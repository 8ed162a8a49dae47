"""governed API: shared rate-limit windows; updated_at on invoices and exceptions

Revision ID: 0019_governed_api
Revises: 0018_erp_projects
Create Date: 2026-12-06

Issue 14: every ``serve`` process counts a credential's requests in one row per window
(items 6, limits), and the invoice and exception lists take ``updated_since`` (an indexed
``updated_at``, filled from the row's latest known change for existing rows).
"""
from alembic import op
import sqlalchemy as sa

import hourbridge.store.types


revision = "0019_governed_api"
down_revision = "0018_erp_projects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_windows',
        sa.Column('who', sa.String(length=200), nullable=False),
        sa.Column('window', sa.BigInteger(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('who', 'window', name='pk_rate_limit_windows'),
    )
    op.add_column('invoices', sa.Column(
        'updated_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True))
    op.add_column('exceptions', sa.Column(
        'updated_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True))
    # the latest change each row records; text comparison on SQLite is fine for these
    # values (all UTC, one format)
    op.execute("UPDATE invoices SET updated_at = COALESCE(voided_at, issued_at, created_at)")
    op.execute("UPDATE exceptions SET updated_at = COALESCE(closed_at, created_at)")
    op.create_index('ix_invoices_updated_at', 'invoices', ['updated_at'])
    op.create_index('ix_exceptions_updated_at', 'exceptions', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_exceptions_updated_at', table_name='exceptions')
    op.drop_index('ix_invoices_updated_at', table_name='invoices')
    with op.batch_alter_table('exceptions') as batch:
        batch.drop_column('updated_at')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_column('updated_at')
    op.drop_table('rate_limit_windows')
