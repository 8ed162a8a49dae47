"""only the indexes queries need on time_entries; the billing state out of hot indexes

Revision ID: 0028_entry_indexes
Revises: 0027_kpi_bulk_rollups
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
partial index's predicate counts. Measured on the 100k bench database (88,028 entries billed
then invoiced): with ``billing`` in no index at all and fillfactor 90, only 18,529 of the
88,028 billing updates and 5,195 of the issuing ones were HOT (a page has room for few new
versions), while the open-work selection would have no index but the contract's, reading
every approved entry of the history on each run. The partial index keeps it flat; its WAL per billing run is 125 MB against 150 MB before (issuing 86 vs 101).
The table is not rebuilt (indexes only), so the SQLite triggers of 0024-0026 are untouched.
"""
from alembic import op
import sqlalchemy as sa


revision = "0028_entry_indexes"
down_revision = "0027_kpi_bulk_rollups"
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
