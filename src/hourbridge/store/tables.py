"""The schema (SQLAlchemy Core). Alembic migrations are generated from and checked against it.

Naming: one table per canonical record; child tables for nested parts (tasks, assignments,
contract versions, rate rows); state axes of a time entry are separate columns.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
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
    # fee schedule, milestones, retainer, cap and expense policy: small, read as a whole
    Column("terms", JSON, nullable=False),
    # FX rate-date policy (work_date / invoice_date / fixed) and the fixed rate (domain.fx)
    Column("fx_rate_date", String(16), nullable=False),
    Column("fx_fixed_rate", ExactDecimal),
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
    Column("rounding_per", String(8), nullable=False, server_default="entry"),  # or day
)

# transfer-price markup per (selling, buying) entity pair; a pair not listed charges at cost
intercompany_markups = Table(
    "intercompany_markups", metadata,
    Column("seller", String(64), ForeignKey("entities.code"), primary_key=True),
    Column("buyer", String(64), ForeignKey("entities.code"), primary_key=True),
    Column("markup_percent", ExactDecimal, nullable=False),
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

# 1 from_currency = rate to_currency from valid_from until the pair's next rate (domain.fx)
fx_rates = Table(
    "fx_rates", metadata,
    Column("from_currency", String(3), primary_key=True),
    Column("to_currency", String(3), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
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
    # what the rows are: time_entries or expenses (retrying an exception needs to know)
    Column("kind", String(16), nullable=False, server_default="time_entries"),
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
    # how often processing of its rows began: above 1 after a crash or a retry (a payload
    # left "received" is taken up again by the next ingest of the same bytes, ``inbox retry``
    # or the worker)
    Column("attempts", Integer, nullable=False, server_default="0"),
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
    # the content a new entry was taken with (employee, project, task, date, time, notes),
    # unique: two concurrent intakes that each found a content absent cannot both store it.
    # A revision clears it (its content is the source's word for a known id, which intake
    # never refused as a duplicate)
    Column("intake_key", String(32)),
    Column("approval", String(16), nullable=False),
    Column("billing", String(16), nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("approved_at", UtcDateTime),
    Column("approved_by", String(128)),
    Column("rejected_at", UtcDateTime),
    Column("rejected_by", String(128)),
    Column("rejection_reason", Text),
    # value booked to unbilled receivables at approval; relieved exactly when invoiced
    Column("wip_amount", ExactDecimal),
    Column("wip_currency", String(3)),
    # the rate the WIP was translated into functional currency at (1 in the same currency);
    # relief, restores and adjustments translate at it, so the WIP clears in both currencies
    Column("wip_fx_rate", ExactDecimal),
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
    UniqueConstraint("intake_key", name="uq_time_entries_intake_key"),
    # a second is billed at most once: what is billed and written off never exceeds what is
    # billable, so a second run that bills the same open seconds cannot commit. The one
    # exception is an invoiced entry whose source lowered it (a correction applied as a
    # next-invoice adjustment): it stays over until its adjustment line bills the difference.
    CheckConstraint(
        "billed_seconds >= 0 AND written_off_seconds >= 0 AND "
        "(billed_seconds + written_off_seconds <= billable_seconds OR billing = 'invoiced')",
        name="billed_at_most_once"),
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

# Expenses: like time entries with an amount instead of a duration. The billing axis is the
# expense's whole amount: unbilled, billed (on the invoice line ``invoice_line``),
# written_off or non_billable; approval is its own axis.
expenses = Table(
    "expenses", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("inbox_id", Id, ForeignKey("inbox.id"), nullable=False),
    Column("employee", String(64), nullable=False),
    Column("project", String(64), nullable=False),
    Column("task", String(64)),
    Column("entity", String(64), nullable=False),
    Column("contract", String(64)),  # the project's contract at intake; none: non-billable
    Column("spent_on", Date, nullable=False),  # the spender's local date
    Column("category", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # > 0, in the currency's minor units
    Column("currency", String(3), nullable=False),
    Column("billable", Boolean, nullable=False),
    Column("receipt_ref", String(200)),
    Column("content_key", String(32), nullable=False, index=True),
    Column("intake_key", String(32)),  # see time_entries
    Column("approval", String(16), nullable=False),  # submitted / approved / rejected
    Column("approved_at", UtcDateTime),
    Column("approved_by", String(128)),
    Column("billing", String(16), nullable=False),  # unbilled / billed / written_off / non_billable
    Column("invoice_line", Id, ForeignKey("invoice_lines.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("external_id", "source", name="uq_expenses_external_id_source"),
    UniqueConstraint("intake_key", name="uq_expenses_intake_key"),
    Index("ix_expenses_contract_axes", "contract", "approval", "billing", "spent_on"),
    Index("ix_expenses_project_date", "project", "spent_on"),
    Index("ix_expenses_invoice_line", "invoice_line"),
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
    # the rate receivable and tax were translated at when issued (a credit note: its invoice's)
    Column("fx_rate", ExactDecimal),
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
    # time, or a charge: fee / milestone / retainer_fee / expense / cap_write_down
    Column("kind", String(16), nullable=False, server_default="time"),
    Column("charge_ref", String(64)),  # installment, milestone or retainer month
)

invoice_line_entries = Table(
    "invoice_line_entries", metadata,
    Column("line", Id, ForeignKey("invoice_lines.id"), primary_key=True),
    Column("entry", Id, ForeignKey("time_entries.id"), primary_key=True),
    # negative on credit-note lines: the seconds an entry has billed is the sum of its links
    Column("seconds", Integer, nullable=False),
    Index("ix_invoice_line_entries_entry", "entry"),
)

# non-hourly charges billed once per (contract, kind, ref) while their line is live; a rebill
# credit note deletes the row (the charge bills again), a write-off keeps it
contract_charges = Table(
    "contract_charges", metadata,
    Column("contract", String(64), ForeignKey("contracts.id"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("ref", String(64), primary_key=True),
    Column("invoice_line", Id, ForeignKey("invoice_lines.id"), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("state", String(16), nullable=False),  # billed / written_off
    Column("at", UtcDateTime, nullable=False),
)

milestone_achievements = Table(
    "milestone_achievements", metadata,
    Column("contract", String(64), ForeignKey("contracts.id"), primary_key=True),
    Column("milestone", String(64), primary_key=True),
    Column("achieved_on", Date, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("note", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

# a retainer month's drawdown, settled once when the month is complete
retainer_months = Table(
    "retainer_months", metadata,
    Column("contract", String(64), ForeignKey("contracts.id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("included_seconds", BigInteger, nullable=False),
    Column("rollover_in_seconds", BigInteger, nullable=False),
    Column("used_seconds", BigInteger, nullable=False),
    Column("overage_seconds", BigInteger, nullable=False),
    Column("rollover_out_seconds", BigInteger, nullable=False),
    Column("expired_seconds", BigInteger, nullable=False),
    Column("settled_at", UtcDateTime, nullable=False),
)

# what each revenue run recognised, per contract and component (cumulative to date)
revenue_recognitions = Table(
    "revenue_recognitions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("contract", String(64), ForeignKey("contracts.id"), nullable=False),
    Column("component", String(16), nullable=False),
    Column("period", String(7), nullable=False),
    Column("recognised", ExactDecimal, nullable=False),  # to date
    Column("delta", ExactDecimal, nullable=False),
    Column("basis", Text, nullable=False),
    Column("posted_on", Date, nullable=False),
    Column("journal_key", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_revenue_recognitions_contract", "contract", "component", "id"),
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

# an employee of one entity worked on another entity's project: the seller charges the buyer
# at cost rate plus markup, booked in both entities when approved (services.intercompany)
intercompany_charges = Table(
    "intercompany_charges", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("entry", Id, ForeignKey("time_entries.id"), nullable=False, unique=True),
    Column("seller", String(64), nullable=False),
    Column("buyer", String(64), nullable=False),
    Column("employee", String(64), nullable=False),
    Column("project", String(64), nullable=False),
    Column("work_date", Date, nullable=False),
    Column("seconds", BigInteger, nullable=False),
    Column("cost_rate", ExactDecimal, nullable=False),
    Column("markup_percent", ExactDecimal, nullable=False),
    Column("transfer_price", ExactDecimal, nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),  # the seller's functional currency
    Column("buyer_currency", String(3), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # booked / awaiting_fx
    # the journal entries that booked it (none for zero-priced work; the buyer's waits for FX)
    Column("seller_journal_key", String(200)),
    Column("buyer_journal_key", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_intercompany_charges_pair", "seller", "buyer", "work_date"),
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
    # in_progress: reserved before the handler runs (owner, reserved_at); done: response kept
    Column("status", String(16), nullable=False, server_default="done"),
    Column("owner", String(32)),
    Column("reserved_at", UtcDateTime),
    Column("status_code", Integer),
    Column("response", JSON),
    Column("created_at", UtcDateTime, nullable=False),
)
