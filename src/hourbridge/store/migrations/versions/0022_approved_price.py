"""the rate decision approval took, kept on the entry for billing to reuse

Revision ID: 0022_approved_price
Revises: 0021_credit_payments
Create Date: 2026-12-06

Approval prices every billable entry; billing priced it again (issue 16, item 2). The whole
decision is now stored at approval: rate, card, row, precedence rule, scope, contract version
and the role it was decided for (the currency is ``wip_currency``), with ``price_basis``, a
digest of the master data the decision read (``domain.pricing.PriceBasis``): billing reuses
the decision while the basis still matches and prices again when it does not. Entries approved
before this revision have no stored decision and are priced by billing as before.

Columns are added (nullable, no default), so the upgrade rewrites no rows.
"""
from alembic import op
import sqlalchemy as sa

import hourbridge.store.types


revision = "0022_approved_price"
down_revision = "0021_credit_payments"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("price_rate", lambda: hourbridge.store.types.ExactDecimal(precision=24, scale=8)),
    ("price_card", lambda: sa.String(length=64)),
    ("price_row", lambda: sa.String(length=64)),
    ("price_rule", lambda: sa.String(length=32)),
    ("price_scope", lambda: sa.String(length=16)),
    ("price_version", lambda: sa.Integer()),
    ("price_role", lambda: sa.String(length=64)),
    ("price_basis", lambda: sa.String(length=32)),
)


def upgrade() -> None:
    with op.batch_alter_table("time_entries") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("time_entries") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
