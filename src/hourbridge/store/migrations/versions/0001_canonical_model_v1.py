"""canonical model v1

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import hourbridge.store.types


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('billing_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('through', sa.Date(), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=True),
    sa.Column('started_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('invoices_created', sa.Integer(), nullable=False),
    sa.Column('entries_billed', sa.Integer(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_runs'))
    )
    op.create_table('entities',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('invoice_prefix', sa.String(length=64), nullable=False),
    sa.Column('lock_date', sa.Date(), nullable=True),
    sa.Column('vat_id', sa.String(length=64), nullable=True),
    sa.Column('legal_registration_id', sa.String(length=64), nullable=True),
    sa.Column('tax_registration_id', sa.String(length=64), nullable=True),
    sa.Column('accounts', sa.JSON(), nullable=False),
    sa.Column('tax_rates', sa.JSON(), nullable=False),
    sa.Column('last_invoice_number', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_entities'))
    )
    op.create_table('fx_rates',
    sa.Column('from_currency', sa.String(length=3), nullable=False),
    sa.Column('to_currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.PrimaryKeyConstraint('from_currency', 'to_currency', 'valid_from', name=op.f('pk_fx_rates'))
    )
    op.create_table('holds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('owner_role', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('placed_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('placed_by', sa.String(length=128), nullable=False),
    sa.Column('released_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=128), nullable=True),
    sa.Column('release_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_active', ['released_at', 'scope', 'ref'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='time_entries', nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=500), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('received_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows_total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_accepted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_rejected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('rows_unchanged', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_inbox_fingerprint'))
    )
    op.create_table('journal_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('source_type', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('key', name=op.f('uq_journal_entries_key'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_posted_on', ['posted_on', 'id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('available_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_available', ['status', 'available_at'], unique=False)

    op.create_table('rate_cards',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_cards'))
    )
    op.create_table('revisions',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_revisions'))
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('parent', sa.String(length=64), nullable=True),
    sa.Column('vat_id', sa.String(length=64), nullable=True),
    sa.Column('tax_exempt', sa.Boolean(), nullable=False),
    sa.Column('tax_code', sa.String(length=32), nullable=False),
    sa.Column('business', sa.Boolean(), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('po_number', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['entity'], ['entities.code'], name=op.f('fk_customers_entity_entities')),
    sa.ForeignKeyConstraint(['parent'], ['customers.id'], name=op.f('fk_customers_parent_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_table('employees',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('hours_per_day', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.ForeignKeyConstraint(['entity'], ['entities.code'], name=op.f('fk_employees_entity_entities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employees'))
    )
    op.create_table('exceptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('owner_role', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_exceptions_inbox_id_inbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exceptions'))
    )
    with op.batch_alter_table('exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exceptions_reason'), ['reason'], unique=False)
        batch_op.create_index(batch_op.f('ix_exceptions_status'), ['status'], unique=False)

    op.create_table('inbox_chunks',
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_inbox_chunks_inbox_id_inbox')),
    sa.PrimaryKeyConstraint('inbox_id', 'seq', name=op.f('pk_inbox_chunks'))
    )
    op.create_table('intercompany_markups',
    sa.Column('seller', sa.String(length=64), nullable=False),
    sa.Column('buyer', sa.String(length=64), nullable=False),
    sa.Column('markup_percent', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.ForeignKeyConstraint(['buyer'], ['entities.code'], name=op.f('fk_intercompany_markups_buyer_entities')),
    sa.ForeignKeyConstraint(['seller'], ['entities.code'], name=op.f('fk_intercompany_markups_seller_entities')),
    sa.PrimaryKeyConstraint('seller', 'buyer', name=op.f('pk_intercompany_markups'))
    )
    op.create_table('journal_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('journal_entry', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('debit', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('credit', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('functional_amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('fx_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=True),
    sa.Column('project', sa.String(length=64), nullable=True),
    sa.Column('employee', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['journal_entry'], ['journal_entries.id'], name=op.f('fk_journal_lines_journal_entry_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_lines'))
    )
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_lines_journal_entry'), ['journal_entry'], unique=False)

    op.create_table('rate_rows',
    sa.Column('card', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('employee', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('task', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['card'], ['rate_cards.id'], name=op.f('fk_rate_rows_card_rate_cards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('card', 'id', name=op.f('pk_rate_rows'))
    )
    op.create_table('time_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('employee', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=True),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('worked_seconds', sa.Integer(), nullable=False),
    sa.Column('billable_seconds', sa.Integer(), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('content_key', sa.String(length=32), nullable=False),
    sa.Column('approval', sa.String(length=16), nullable=False),
    sa.Column('billing', sa.String(length=16), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('approved_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=128), nullable=True),
    sa.Column('rejected_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rejected_by', sa.String(length=128), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('wip_amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('wip_currency', sa.String(length=3), nullable=True),
    sa.Column('wip_fx_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('billed_seconds', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('written_off_seconds', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('relieved_seconds', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('wip_relieved', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_time_entries_inbox_id_inbox')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_entries')),
    sa.UniqueConstraint('external_id', 'source', name='uq_time_entries_external_id_source')
    )
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.create_index('ix_time_entries_axes', ['approval', 'billing', 'work_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_time_entries_content_key'), ['content_key'], unique=False)
        batch_op.create_index('ix_time_entries_contract_axes', ['contract', 'billing', 'approval', 'work_date'], unique=False)
        batch_op.create_index('ix_time_entries_employee_date', ['employee', 'work_date'], unique=False)
        batch_op.create_index('ix_time_entries_project_date', ['project', 'work_date'], unique=False)

    op.create_table('adjustments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('before_seconds', sa.BigInteger(), nullable=False),
    sa.Column('after_seconds', sa.BigInteger(), nullable=False),
    sa.Column('wip_delta', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry'], ['time_entries.id'], name=op.f('fk_adjustments_entry_time_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustments'))
    )
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustments_entry'), ['entry'], unique=False)

    op.create_table('contracts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.Column('fx_rate_date', sa.String(length=16), nullable=False),
    sa.Column('fx_fixed_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('correction_policy', sa.String(length=32), server_default='credit_and_rebill', nullable=False),
    sa.ForeignKeyConstraint(['customer'], ['customers.id'], name=op.f('fk_contracts_customer_customers')),
    sa.ForeignKeyConstraint(['entity'], ['entities.code'], name=op.f('fk_contracts_entity_entities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts'))
    )
    op.create_table('cost_rates',
    sa.Column('employee', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.ForeignKeyConstraint(['employee'], ['employees.id'], name=op.f('fk_cost_rates_employee_employees'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('employee', 'valid_from', name=op.f('pk_cost_rates'))
    )
    op.create_table('intercompany_charges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seller', sa.String(length=64), nullable=False),
    sa.Column('buyer', sa.String(length=64), nullable=False),
    sa.Column('employee', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('seconds', sa.BigInteger(), nullable=False),
    sa.Column('cost_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('markup_percent', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('transfer_price', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('buyer_currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('seller_journal_key', sa.String(length=200), nullable=True),
    sa.Column('buyer_journal_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry'], ['time_entries.id'], name=op.f('fk_intercompany_charges_entry_time_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intercompany_charges')),
    sa.UniqueConstraint('entry', name=op.f('uq_intercompany_charges_entry'))
    )
    with op.batch_alter_table('intercompany_charges', schema=None) as batch_op:
        batch_op.create_index('ix_intercompany_charges_pair', ['seller', 'buyer', 'work_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_intercompany_charges_status'), ['status'], unique=False)

    op.create_table('contract_versions',
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('billing_model', sa.String(length=32), nullable=False),
    sa.Column('rounding_increment_minutes', sa.Integer(), nullable=False),
    sa.Column('rounding_mode', sa.String(length=16), nullable=False),
    sa.Column('rounding_minimum_minutes', sa.Integer(), nullable=False),
    sa.Column('rounding_per', sa.String(length=8), server_default='entry', nullable=False),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_contract_versions_contract_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contract', 'version', name=op.f('pk_contract_versions'))
    )
    op.create_table('invoices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='invoice', nullable=False),
    sa.Column('credits', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('credit_mode', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('billing_run', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('net', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('tax_code', sa.String(length=32), nullable=True),
    sa.Column('tax_category', sa.String(length=4), nullable=True),
    sa.Column('tax_exemption_code', sa.String(length=32), nullable=True),
    sa.Column('tax_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('tax', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('total', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('tax_note', sa.Text(), nullable=True),
    sa.Column('fx_rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('issued_by', sa.String(length=128), nullable=True),
    sa.Column('void_date', sa.Date(), nullable=True),
    sa.Column('voided_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('voided_by', sa.String(length=128), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['billing_run'], ['billing_runs.id'], name=op.f('fk_invoices_billing_run_billing_runs')),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_invoices_contract_contracts')),
    sa.ForeignKeyConstraint(['credits'], ['invoices.id'], name=op.f('fk_invoices_credits_invoices')),
    sa.ForeignKeyConstraint(['customer'], ['customers.id'], name=op.f('fk_invoices_customer_customers')),
    sa.ForeignKeyConstraint(['entity'], ['entities.code'], name=op.f('fk_invoices_entity_entities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('entity', 'number', name='uq_invoices_entity_number')
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_status'), ['status'], unique=False)

    op.create_table('milestone_achievements',
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('milestone', sa.String(length=64), nullable=False),
    sa.Column('achieved_on', sa.Date(), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_milestone_achievements_contract_contracts')),
    sa.PrimaryKeyConstraint('contract', 'milestone', name=op.f('pk_milestone_achievements'))
    )
    op.create_table('projects',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_projects_contract_contracts')),
    sa.ForeignKeyConstraint(['customer'], ['customers.id'], name=op.f('fk_projects_customer_customers')),
    sa.ForeignKeyConstraint(['entity'], ['entities.code'], name=op.f('fk_projects_entity_entities')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_projects'))
    )
    op.create_table('retainer_months',
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('included_seconds', sa.BigInteger(), nullable=False),
    sa.Column('rollover_in_seconds', sa.BigInteger(), nullable=False),
    sa.Column('used_seconds', sa.BigInteger(), nullable=False),
    sa.Column('overage_seconds', sa.BigInteger(), nullable=False),
    sa.Column('rollover_out_seconds', sa.BigInteger(), nullable=False),
    sa.Column('expired_seconds', sa.BigInteger(), nullable=False),
    sa.Column('settled_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_retainer_months_contract_contracts')),
    sa.PrimaryKeyConstraint('contract', 'period', name=op.f('pk_retainer_months'))
    )
    op.create_table('revenue_recognitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('component', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('recognised', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('delta', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('posted_on', sa.Date(), nullable=False),
    sa.Column('journal_key', sa.String(length=200), nullable=False),
    sa.Column('at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_revenue_recognitions_contract_contracts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_recognitions'))
    )
    with op.batch_alter_table('revenue_recognitions', schema=None) as batch_op:
        batch_op.create_index('ix_revenue_recognitions_contract', ['contract', 'component', 'id'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('employee', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['employee'], ['employees.id'], name=op.f('fk_assignments_employee_employees')),
    sa.ForeignKeyConstraint(['project'], ['projects.code'], name=op.f('fk_assignments_project_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_project'), ['project'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('invoice', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('credits_line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('seconds', sa.BigInteger(), nullable=False),
    sa.Column('quantity_hours', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('rate', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('rate_card', sa.String(length=64), nullable=False),
    sa.Column('rate_row', sa.String(length=64), nullable=False),
    sa.Column('rate_rule', sa.String(length=32), nullable=False),
    sa.Column('rate_scope', sa.String(length=16), nullable=False),
    sa.Column('contract_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default='time', nullable=False),
    sa.Column('charge_ref', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['credits_line'], ['invoice_lines.id'], name=op.f('fk_invoice_lines_credits_line_invoice_lines')),
    sa.ForeignKeyConstraint(['invoice'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_invoice'), ['invoice'], unique=False)

    op.create_table('tasks',
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['project'], ['projects.code'], name=op.f('fk_tasks_project_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project', 'code', name=op.f('pk_tasks'))
    )
    op.create_table('contract_charges',
    sa.Column('contract', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('invoice_line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract'], ['contracts.id'], name=op.f('fk_contract_charges_contract_contracts')),
    sa.ForeignKeyConstraint(['invoice_line'], ['invoice_lines.id'], name=op.f('fk_contract_charges_invoice_line_invoice_lines')),
    sa.PrimaryKeyConstraint('contract', 'kind', 'ref', name=op.f('pk_contract_charges'))
    )
    op.create_table('corrections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('entry', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('policy', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('invoice', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('billed_seconds', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('old_amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('new_amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('difference', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('revision', sa.JSON(), nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.Column('adjustment_line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['adjustment_line'], ['invoice_lines.id'], name=op.f('fk_corrections_adjustment_line_invoice_lines')),
    sa.ForeignKeyConstraint(['entry'], ['time_entries.id'], name=op.f('fk_corrections_entry_time_entries')),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_corrections_inbox_id_inbox')),
    sa.ForeignKeyConstraint(['invoice'], ['invoices.id'], name=op.f('fk_corrections_invoice_invoices')),
    sa.ForeignKeyConstraint(['line'], ['invoice_lines.id'], name=op.f('fk_corrections_line_invoice_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections'))
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_entry'), ['entry'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_status'), ['status'], unique=False)

    op.create_table('expenses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('employee', sa.String(length=64), nullable=False),
    sa.Column('project', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=True),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('contract', sa.String(length=64), nullable=True),
    sa.Column('spent_on', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', hourbridge.store.types.ExactDecimal(precision=24, scale=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('billable', sa.Boolean(), nullable=False),
    sa.Column('receipt_ref', sa.String(length=200), nullable=True),
    sa.Column('content_key', sa.String(length=32), nullable=False),
    sa.Column('approval', sa.String(length=16), nullable=False),
    sa.Column('approved_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=128), nullable=True),
    sa.Column('billing', sa.String(length=16), nullable=False),
    sa.Column('invoice_line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hourbridge.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_expenses_inbox_id_inbox')),
    sa.ForeignKeyConstraint(['invoice_line'], ['invoice_lines.id'], name=op.f('fk_expenses_invoice_line_invoice_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenses')),
    sa.UniqueConstraint('external_id', 'source', name='uq_expenses_external_id_source')
    )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expenses_content_key'), ['content_key'], unique=False)
        batch_op.create_index('ix_expenses_contract_axes', ['contract', 'approval', 'billing', 'spent_on'], unique=False)
        batch_op.create_index('ix_expenses_invoice_line', ['invoice_line'], unique=False)
        batch_op.create_index('ix_expenses_project_date', ['project', 'spent_on'], unique=False)

    op.create_table('invoice_line_entries',
    sa.Column('line', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry'], ['time_entries.id'], name=op.f('fk_invoice_line_entries_entry_time_entries')),
    sa.ForeignKeyConstraint(['line'], ['invoice_lines.id'], name=op.f('fk_invoice_line_entries_line_invoice_lines')),
    sa.PrimaryKeyConstraint('line', 'entry', name=op.f('pk_invoice_line_entries'))
    )
    with op.batch_alter_table('invoice_line_entries', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_line_entries_entry', ['entry'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('invoice_line_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_line_entries_entry')

    op.drop_table('invoice_line_entries')
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_project_date')
        batch_op.drop_index('ix_expenses_invoice_line')
        batch_op.drop_index('ix_expenses_contract_axes')
        batch_op.drop_index(batch_op.f('ix_expenses_content_key'))

    op.drop_table('expenses')
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_status'))
        batch_op.drop_index(batch_op.f('ix_corrections_entry'))

    op.drop_table('corrections')
    op.drop_table('contract_charges')
    op.drop_table('tasks')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_invoice'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_project'))

    op.drop_table('assignments')
    with op.batch_alter_table('revenue_recognitions', schema=None) as batch_op:
        batch_op.drop_index('ix_revenue_recognitions_contract')

    op.drop_table('revenue_recognitions')
    op.drop_table('retainer_months')
    op.drop_table('projects')
    op.drop_table('milestone_achievements')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_status'))

    op.drop_table('invoices')
    op.drop_table('contract_versions')
    with op.batch_alter_table('intercompany_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intercompany_charges_status'))
        batch_op.drop_index('ix_intercompany_charges_pair')

    op.drop_table('intercompany_charges')
    op.drop_table('cost_rates')
    op.drop_table('contracts')
    with op.batch_alter_table('adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustments_entry'))

    op.drop_table('adjustments')
    with op.batch_alter_table('time_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_time_entries_project_date')
        batch_op.drop_index('ix_time_entries_employee_date')
        batch_op.drop_index('ix_time_entries_contract_axes')
        batch_op.drop_index(batch_op.f('ix_time_entries_content_key'))
        batch_op.drop_index('ix_time_entries_axes')

    op.drop_table('time_entries')
    op.drop_table('rate_rows')
    with op.batch_alter_table('journal_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_lines_journal_entry'))

    op.drop_table('journal_lines')
    op.drop_table('intercompany_markups')
    op.drop_table('inbox_chunks')
    with op.batch_alter_table('exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exceptions_status'))
        batch_op.drop_index(batch_op.f('ix_exceptions_reason'))

    op.drop_table('exceptions')
    op.drop_table('employees')
    op.drop_table('customers')
    op.drop_table('revisions')
    op.drop_table('rate_cards')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_available')

    op.drop_table('outbox')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_posted_on')

    op.drop_table('journal_entries')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_active')

    op.drop_table('holds')
    op.drop_table('fx_rates')
    op.drop_table('entities')
    op.drop_table('billing_runs')
