"""The schema (SQLAlchemy Core). Alembic migrations are generated from and checked against it.

Naming: one table per canonical record; child tables for nested parts (tasks, assignments,
contract versions, rate rows); state axes of a time entry are separate columns.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .types import ExactDecimal, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite rowid aliasing needs INTEGER

# --- master data -------------------------------------------------------------------------
entities = Table(
    "entities", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("invoice_prefix", String(64), nullable=False),
    Column("lock_date", Date),
    Column("vat_id", String(64)),
    Column("legal_registration_id", String(64)),
    Column("tax_registration_id", String(64)),
    Column("accounts", JSON, nullable=False),
    Column("tax_rates", JSON, nullable=False),
    # last invoice number issued; incremented in the issuing transaction, so numbers are gapless
    Column("last_invoice_number", Integer, nullable=False, server_default="0"),
)

customers = Table(
    "customers", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("country", String(2), nullable=False),
    Column("parent", String(64), ForeignKey("customers.id")),
    Column("vat_id", String(64)),
    Column("tax_exempt", Boolean, nullable=False),
    Column("tax_code", String(32), nullable=False),
    Column("business", Boolean, nullable=False),
    Column("payment_terms_days", Integer, nullable=False),
    Column("po_number", String(64)),
)

employees = Table(
    "employees", metadata,
    Column("id", String(64), primary_key=True),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("role", String(64), nullable=False),
    Column("department", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("hours_per_day", ExactDecimal, nullable=False),
)

cost_rates = Table(
    "cost_rates", metadata,
    Column("employee", String(64), ForeignKey("employees.id", ondelete="CASCADE"),
           primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),
)

contracts = Table(
    "contracts", metadata,
    Column("id", String(64), primary_key=True),
    Column("customer", String(64), ForeignKey("customers.id"), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    # credit_and_rebill / next_invoice_adjustment: see domain.corrections
    Column("correction_policy", String(32), nullable=False, server_default="credit_and_rebill"),
)

contract_versions = Table(
    "contract_versions", metadata,
    Column("contract", String(64), ForeignKey("contracts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", Date, nullable=False),
    Column("billing_model", String(32), nullable=False),
    Column("rounding_increment_minutes", Integer, nullable=False),
    Column("rounding_mode", String(16), nullable=False),
    Column("rounding_minimum_minutes", Integer, nullable=False),
)

projects = Table(
    "projects", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("customer", String(64), ForeignKey("customers.id"), nullable=False),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("contract", String(64), ForeignKey("contracts.id")),
)

tasks = Table(
    "tasks", metadata,
    Column("project", String(64), ForeignKey("projects.code", ondelete="CASCADE"),
           primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("billable", Boolean, nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project", String(64), ForeignKey("projects.code", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("employee", String(64), ForeignKey("employees.id"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("role", String(64)),
)

rate_cards = Table(
    "rate_cards", metadata,
    Column("id", String(64), primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("scope_id", String(64)),
    Column("currency", String(3), nullable=False),
)

rate_rows = Table(
    "rate_rows", metadata,
    Column("card", String(64), ForeignKey("rate_cards.id", ondelete="CASCADE"),
           primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date),
    Column("employee", String(64)),
    Column("role", String(64)),
    Column("task", String(64)),
)

# Counters bumped in the transaction that changes what they count: "masterdata" lets every
# process keep its master-data snapshot until a load changes it.
revisions = Table(
    "revisions", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# --- intake ------------------------------------------------------------------------------
inbox = Table(
    "inbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False, unique=True),
    Column("filename", String(500), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    # received (kept, not yet processed) / processed / failed (unreadable as a whole)
    Column("status", String(16), nullable=False),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_accepted", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    Column("rows_unchanged", Integer, nullable=False, server_default="0"),
)

# The payload verbatim, in chunks of at most 1 MiB, so no process ever needs it whole.
inbox_chunks = Table(
    "inbox_chunks", metadata,
    Column("inbox_id", Id, ForeignKey("inbox.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

time_entries = Table(
    "time_entries", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("inbox_id", Id, ForeignKey("inbox.id"), nullable=False),
    Column("employee", String(64), nullable=False),
    Column("project", String(64), nullable=False),
    Column("task", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("contract", String(64)),
    Column("work_date", Date, nullable=False),
    Column("worked_seconds", Integer, nullable=False),
    Column("billable_seconds", Integer, nullable=False),
    Column("billable", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
    Column("content_key", String(32), nullable=False, index=True),
    Column("approval", String(16), nullable=False),
    Column("billing", String(16), nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("approved_at", UtcDateTime),
    Column("approved_by", String(128)),
    # value booked to unbilled receivables at approval; relieved exactly when invoiced
    Column("wip_amount", ExactDecimal),
    Column("wip_currency", String(3)),
    # the billing ledger by quantity: seconds on live invoices net of credits, seconds
    # written off, and how much of the WIP has been relieved by invoicing (seconds, amount)
    Column("billed_seconds", BigInteger, nullable=False, server_default="0"),
    Column("written_off_seconds", BigInteger, nullable=False, server_default="0"),
    Column("relieved_seconds", BigInteger, nullable=False, server_default="0"),
    Column("wip_relieved", ExactDecimal),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # set when the source deleted the entry (a tombstone row); the row itself is kept
    Column("deleted_at", UtcDateTime),
    # external id first: lookups of a batch's ids (IN list) must use the index even while the
    # planner's statistics still describe an empty table (the first large load)
    UniqueConstraint("external_id", "source", name="uq_time_entries_external_id_source"),
    Index("ix_time_entries_axes", "approval", "billing", "work_date"),
    Index("ix_time_entries_contract_axes", "contract", "billing", "approval", "work_date"),
    Index("ix_time_entries_employee_date", "employee", "work_date"),
    Index("ix_time_entries_project_date", "project", "work_date"),
)

exceptions = Table(
    "exceptions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("inbox_id", Id, ForeignKey("inbox.id")),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128)),
    Column("location", String(500), nullable=False),
    Column("reason", String(64), nullable=False, index=True),
    Column("field", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("owner_role", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # open / resolved / dismissed
    Column("row", JSON, nullable=False),  # the raw row as received, for retry
    Column("created_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    Column("closed_by", String(128)),
    Column("note", Text),
)

# --- billing -----------------------------------------------------------------------------
billing_runs = Table(
    "billing_runs", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("through", Date, nullable=False),
    Column("entity", String(64)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("invoices_created", Integer, nullable=False),
    Column("entries_billed", Integer, nullable=False),
    Column("dry_run", Boolean, nullable=False),
    # what the run proposed per contract and period, so the next run can say what changed
    Column("proposals", JSON),
)

invoices = Table(
    "invoices", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False, server_default="invoice"),  # or credit_note
    Column("credits", Id, ForeignKey("invoices.id")),  # the invoice a credit note credits
    Column("credit_mode", String(16)),  # rebill (work bills again) / write_off
    Column("reason", Text),
    Column("billing_run", Id, ForeignKey("billing_runs.id")),
    Column("entity", String(64), ForeignKey("entities.code"), nullable=False),
    Column("contract", String(64), ForeignKey("contracts.id"), nullable=False),
    Column("customer", String(64), ForeignKey("customers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("period", String(7), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("number", String(64)),
    Column("sequence", Integer),
    Column("issue_date", Date),
    Column("due_date", Date),
    Column("net", ExactDecimal, nullable=False),
    Column("tax_code", String(32)),
    Column("tax_category", String(4)),
    Column("tax_exemption_code", String(32)),
    Column("tax_rate", ExactDecimal),
    Column("tax", ExactDecimal, nullable=False),
    Column("total", ExactDecimal, nullable=False),
    Column("tax_note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("issued_at", UtcDateTime),
    Column("issued_by", String(128)),
    # a void keeps its row and its number (the sequence stays gapless); who, when and why
    Column("void_date", Date),
    Column("voided_at", UtcDateTime),
    Column("voided_by", String(128)),
    Column("void_reason", Text),
    UniqueConstraint("entity", "number", name="uq_invoices_entity_number"),
)

invoice_lines = Table(
    "invoice_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice", Id, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("credits_line", Id, ForeignKey("invoice_lines.id")),  # on credit notes
    Column("description", Text, nullable=False),
    Column("project", String(64), nullable=False),
    Column("task", String(64), nullable=False),
    Column("role", String(64), nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("quantity_hours", ExactDecimal, nullable=False),
    Column("rate", ExactDecimal, nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    # why this rate: the card, the row, the precedence rule and the contract version
    Column("rate_card", String(64), nullable=False),
    Column("rate_row", String(64), nullable=False),
    Column("rate_rule", String(32), nullable=False),
    Column("rate_scope", String(16), nullable=False),
    Column("contract_version", Integer, nullable=False),
)

invoice_line_entries = Table(
    "invoice_line_entries", metadata,
    Column("line", Id, ForeignKey("invoice_lines.id"), primary_key=True),
    Column("entry", Id, ForeignKey("time_entries.id"), primary_key=True),
    # negative on credit-note lines: the seconds an entry has billed is the sum of its links
    Column("seconds", Integer, nullable=False),
    Index("ix_invoice_line_entries_entry", "entry"),
)

# write-ups and write-downs of billable time, with who, why and the value moved
adjustments = Table(
    "adjustments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entry", Id, ForeignKey("time_entries.id"), nullable=False, index=True),
    Column("before_seconds", BigInteger, nullable=False),
    Column("after_seconds", BigInteger, nullable=False),
    Column("wip_delta", ExactDecimal),
    Column("reason", Text, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# A source change (or deletion) of work already on an invoice: what changed, what it is worth,
# and what is proposed; nothing on any invoice changes until a person applies it.
corrections = Table(
    "corrections", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entry", Id, ForeignKey("time_entries.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # changed / deleted
    Column("status", String(16), nullable=False, index=True),  # open/applied/rejected/superseded
    Column("policy", String(32), nullable=False),  # the contract's, when proposed
    # proposed: credit_and_rebill / next_invoice_adjustment / redraft; once applied: done
    Column("action", String(32), nullable=False),
    Column("invoice", Id, ForeignKey("invoices.id")),
    Column("line", Id, ForeignKey("invoice_lines.id")),
    Column("billed_seconds", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("old_amount", ExactDecimal, nullable=False),
    Column("new_amount", ExactDecimal, nullable=False),
    Column("difference", ExactDecimal, nullable=False),
    Column("before", JSON, nullable=False),
    Column("after", JSON),  # null for a deletion
    Column("revision", JSON, nullable=False),  # the new revision as taken, applied as is
    Column("inbox_id", Id, ForeignKey("inbox.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(128)),
    Column("note", Text),
    Column("outcome", JSON),  # credit notes issued, drafts voided
    # next_invoice_adjustment: the line that carries the difference (null while it is due)
    Column("adjustment_line", Id, ForeignKey("invoice_lines.id")),
)

holds = Table(
    "holds", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # customer / project / contract / entry
    Column("ref", String(128), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("owner_role", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("placed_at", UtcDateTime, nullable=False),
    Column("placed_by", String(128), nullable=False),
    Column("released_at", UtcDateTime),
    Column("released_by", String(128)),
    Column("release_note", Text),
    Index("ix_holds_active", "released_at", "scope", "ref"),
)

# --- delivery ----------------------------------------------------------------------------
outbox = Table(
    "outbox", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),  # deterministic idempotency key
    Column("type", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending / done / dead
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("available_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime),
    Index("ix_outbox_status_available", "status", "available_at"),
)

# --- built-in ledger ---------------------------------------------------------------------
journal_entries = Table(
    "journal_entries", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("entity", String(64), nullable=False),
    Column("posted_on", Date, nullable=False),
    Column("memo", Text, nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("source_id", String(200), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Index("ix_journal_entries_posted_on", "posted_on", "id"),
)

journal_lines = Table(
    "journal_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("journal_entry", Id, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("account", String(64), nullable=False),
    Column("debit", ExactDecimal, nullable=False),
    Column("credit", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("functional_amount", ExactDecimal, nullable=False),
    Column("fx_rate", ExactDecimal, nullable=False),
    Column("customer", String(64)),
    Column("project", String(64)),
    Column("employee", String(64)),
)

# --- API idempotency ---------------------------------------------------------------------
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(200), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
