"""ERP profiles and the posting record

Revision ID: 0008_erp_postings
Revises: 0007_party_snapshot
Create Date: 2026-12-06

``erp_profiles`` keeps, per destination and legal entity, how documents land in that ERP
(``hourbridge.domain.erp.ErpProfile`` as JSON). ``erp_postings`` keeps one row per document
and attempt: recorded before the call (``sending``) and finished after it with the ERP's id
and status, so a row still ``sending`` after a crash marks an outcome to look up.
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0008_erp_postings'
down_revision = '0007_party_snapshot'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('erp_profiles',
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=32), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('loaded_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('destination', 'entity', name=op.f('pk_erp_profiles'))
    )
    op.create_table('erp_postings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
              nullable=False),
    sa.Column('destination', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('erp_id', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erp_postings')),
    sa.UniqueConstraint('destination', 'external_id', 'attempt',
                        name='uq_erp_postings_attempt')
    )
    with op.batch_alter_table('erp_postings', schema=None) as batch_op:
        batch_op.create_index('ix_erp_postings_key', ['key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erp_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_erp_postings_key')
    op.drop_table('erp_postings')
    op.drop_table('erp_profiles')
