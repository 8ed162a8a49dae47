"""only the indexes queries need on time_entries; the billing state out of hot indexes

Revision ID: 0027_entry_indexes
Revises: 0026_kpi_rollups_more
Create Date: 2026-12-06

Issue 16: billing, issuing, credits and voids set ``billing`` on every billed entry, and each
such UPDATE rewrote both composite indexes that held it, ``ix_time_entries_axes (approval,
billing, work_date)`` and ``ix_time_entries_contract_axes (contract, billing, approval,
work_date)`` (SQLite: a delete and an insert in each; PostgreSQL: no update could be HOT).
They are replaced by

- ``ix_time_entries_open (contract, work_date) WHERE approval = 'approved' AND (billing =
  'unbilled' OR billing = 'credited' OR billing = 'on_draft')``: only the open work, what the billing run,
  incremental billing and the WIP reports read (the queries write the predicate literally,
  ``tables.OPEN_WORK``). An entry enters it at approval and leaves it once, when invoiced;
  the invoiced history is not in it, so those reads stay flat in history;
- ``ix_time_entries_contract_date (contract, work_date)``: the contract's work by date
  (revenue effort), with no state in it, so no state change touches it.

PostgreSQL and HOT: an update is HOT only when no indexed column changes, and a column of a
partial index's predicate counts. Keeping ``billing`` out of every index would let the
billing updates be HOT (with a table fillfactor below 100), but then the open-work selection
has no index but the contract's whole history: measured in the 0027 report, the partial index
costs less per billing run than HOT saves, and keeps the selection flat. The table is not
rebuilt (indexes only), so the SQLite triggers of 0024-0026 are untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = '0027_entry_indexes'
down_revision = '0026_kpi_rollups_more'
branch_labels = None
depends_on = None

# as tables.OPEN_WORK writes it (an OR, not an IN: see there)
_OPEN = sa.text("approval = 'approved' AND "
                "(billing = 'unbilled' OR billing = 'credited' OR billing = 'on_draft')")


def upgrade() -> None:
    op.create_index('ix_time_entries_contract_date', 'time_entries', ['contract', 'work_date'],
                    unique=False)
    op.create_index('ix_time_entries_open', 'time_entries', ['contract', 'work_date'],
                    unique=False, sqlite_where=_OPEN, postgresql_where=_OPEN)
    op.drop_index('ix_time_entries_contract_axes', table_name='time_entries')
    op.drop_index('ix_time_entries_axes', table_name='time_entries')


def downgrade() -> None:
    op.create_index('ix_time_entries_axes', 'time_entries', ['approval', 'billing', 'work_date'],
                    unique=False)
    op.create_index('ix_time_entries_contract_axes', 'time_entries',
                    ['contract', 'billing', 'approval', 'work_date'], unique=False)
    op.drop_index('ix_time_entries_open', table_name='time_entries')
    op.drop_index('ix_time_entries_contract_date', table_name='time_entries')
