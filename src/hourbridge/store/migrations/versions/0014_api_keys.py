"""API keys of client systems

Revision ID: 0014_api_keys
Revises: 0013_audit_log
Create Date: 2026-12-06

Issue 14 (governed API): every API route needs a credential. A client system's key is kept
as the SHA-256 of its secret with its role, scopes, legal entities, employee and rate limit;
rotation sets the old key's ``expires_at``, revocation its ``revoked_at``. A billing run keeps
who ran it, and an entity's policy may require that someone else issues what it drafted.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = "0014_api_keys"
down_revision = "0013_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('entities', sa.JSON(), nullable=True),
    sa.Column('employee', sa.String(length=64), nullable=True),
    sa.Column('rate_limit', sa.Integer(), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('expires_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('replaced_by', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_api_keys'))
    )
    op.create_table('entity_policies',
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('four_eyes_issue', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('entity', name=op.f('pk_entity_policies'))
    )
    with op.batch_alter_table('billing_runs') as batch:
        batch.add_column(sa.Column('started_by', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('billing_runs') as batch:
        batch.drop_column('started_by')
    op.drop_table('entity_policies')
    op.drop_table('api_keys')
