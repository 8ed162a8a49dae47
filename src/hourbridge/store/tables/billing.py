"""Billing: runs, invoices and their lines, contract charges and retainer months, revenue,
adjustments, intercompany charges, corrections and holds."""

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
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..types import ExactDecimal, UtcDateTime
from .base import Id, checked_per_statement, created_or_now, metadata, utc_now

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
    Column("started_by", String(200), nullable=True),  # who ran it (issue 14: four eyes)
    # what stood invoiced per contract and month after a real run (domain.invoiced), so the next
    # run of the same scope can say what changed; null for dry runs, which are no baseline
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
    # what the document shows, frozen at issue (domain.einvoice.snapshot); exports read it
    Column("snapshot", JSON),
    Column("created_at", UtcDateTime, nullable=False),
    Column("issued_at", UtcDateTime),
    Column("issued_by", String(128)),
    # a void keeps its row and its number (the sequence stays gapless); who, when and why
    Column("void_date", Date),
    Column("voided_at", UtcDateTime),
    Column("voided_by", String(128)),
    Column("void_reason", Text),
    # any change to the row (issue, void, payment, freeze): lists take `updated_since`
    Column("updated_at", UtcDateTime, default=created_or_now, onupdate=utc_now),
    UniqueConstraint("entity", "number", name="uq_invoices_entity_number"),
    Index("ix_invoices_updated_at", "updated_at"),
    # a billing run sums the live documents of the contract-months that moved (issue 16)
    Index("ix_invoices_contract_period", "contract", "period"),
)

invoice_lines = Table(
    "invoice_lines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice", Id, nullable=False, index=True),  # checked_per_statement
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
    # expenses spent in another currency: what was spent, in which currency, and the rate it
    # was converted at (1 original_currency = original_rate invoice currency; domain.fx)
    Column("original_amount", ExactDecimal),
    Column("original_currency", String(3)),
    Column("original_rate", ExactDecimal),
    checked_per_statement("invoice", "invoices.id"),
)

invoice_line_entries = Table(
    "invoice_line_entries", metadata,
    Column("line", Id, primary_key=True),
    Column("entry", Id, primary_key=True),
    # negative on credit-note lines: the seconds an entry has billed is the sum of its links
    Column("seconds", Integer, nullable=False),
    checked_per_statement("line", "invoice_lines.id"),
    checked_per_statement("entry", "time_entries.id"),
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
