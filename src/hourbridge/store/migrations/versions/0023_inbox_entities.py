"""the legal entities a kept payload's sender may post to

Revision ID: 0023_inbox_entities
Revises: 0022_approved_price
Create Date: 2026-12-06

Intake keeps to a key limited to legal entities (issue 14): a row naming another entity's
project is refused as an unknown one. A payload a crash left ``received`` is processed later
by the worker or ``inbox retry``, without the request that sent it; the inbox keeps the
sender's entities (comma-separated; NULL: all) so that processing stays as limited as the
sender. Payloads kept before this revision have NULL: they were taken firm-wide.

A nullable column without a default: the upgrade rewrites no rows.
"""
from alembic import op
import sqlalchemy as sa


revision = "0023_inbox_entities"
down_revision = "0022_approved_price"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("entities", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("entities")
