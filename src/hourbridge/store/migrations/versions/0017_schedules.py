"""schedule runs: one row per (schedule, tick), claimed by inserting it

Revision ID: 0017_schedules
Revises: 0016_tracker_connectors
Create Date: 2026-12-06

Workers evaluate the schedules of the config file (issue 12, item 9); the unique
(schedule, tick) row is how two workers never run the same tick twice.
"""
from alembic import op
import sqlalchemy as sa

import hourbridge.store.types


revision = "0017_schedules"
down_revision = "0016_tracker_connectors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'schedule_runs',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False,
                  autoincrement=True),
        sa.Column('schedule', sa.String(length=100), nullable=False),
        sa.Column('tick', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='1', nullable=False),
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.Column('started_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('lease_until', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('schedule', 'tick', name='uq_schedule_runs_tick'),
    )


def downgrade() -> None:
    op.drop_table('schedule_runs')
