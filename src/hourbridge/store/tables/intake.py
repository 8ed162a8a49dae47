"""Intake and what it records: the inbox, time entries, exceptions, expenses."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from ..types import ExactDecimal, UtcDateTime
from .base import Id, checked_per_statement, created_or_now, metadata, utc_now

# The pending approval states as one literal predicate: a query uses the partial index only
# when its own condition is this very expression (SQLite matches the terms as written and
# never looks at bound parameters), so store queries reuse it rather than an IN of parameters.
PENDING_STATES = ("draft", "submitted")
PENDING_APPROVAL = text("approval IN ('draft', 'submitted')")
# Approved work not yet invoiced (the open WIP): what a billing run and incremental billing
# look for (unbilled, credited to rebill) and what WIP reports sum (those and on_draft). The
# partial index ix_time_entries_open serves every such query; as above, the queries write
# these two terms literally, so SQLite sees the index's own predicate.
OPEN_STATES = ("unbilled", "credited", "on_draft")
OPEN_APPROVED = text("approval = 'approved'")
# An OR, not an IN: SQLite evaluates the predicate for every row an UPDATE of ``billing``
# or ``approval`` touches (old and new row), and an IN of three or more values builds a
# temporary b-tree each time a statement runs (executemany: every row). Measured on 88,028
# billed entries: bill_open 0.90 s CPU with the IN, 0.54 s with the OR (0.77 s before 0028).
BILLING_OPEN_STATES = "billing = 'unbilled' OR billing = 'credited' OR billing = 'on_draft'"
# PostgreSQL's open index is on the generated ``billing_open`` instead (0029_billing_open: an
# UPDATE from unbilled to on_draft then changes no indexed value and can be HOT); the queries
# say both, so each engine finds its own index predicate among their terms.
OPEN_BILLING = text(f"billing_open AND ({BILLING_OPEN_STATES})")
OPEN_WORK = text(f"approval = 'approved' AND ({BILLING_OPEN_STATES})")
OPEN_WORK_PG = text("approval = 'approved' AND billing_open")
# Every column approval, billing and issuing each write (``billing_open`` follows
# ``billing``): after such an UPDATE of many entries only these columns' statistics are
# refreshed (``bulk.analyze_if_grown``); the others' still hold. A written column left out is
# a trap: approval sets ``approved_at``, and when only the state columns were refreshed its
# statistics still said "always null", so the KPI rollup of a billing run's links
# (``te.approved_at IS NOT NULL``) was planned for one row, a nested loop over the invoice
# lines rescanning the run's 53,000 links for each: a 1M-entry run's COPY of links on
# PostgreSQL took minutes instead of seconds (issue 16). ``tests/integration/
# test_entry_statistics.py`` holds each tuple to what its statements write.
APPROVAL_COLUMNS = (
    "approval", "approved_at", "approved_by", "wip_amount", "wip_currency", "wip_fx_rate",
    "updated_at", "price_rate", "price_card", "price_row", "price_rule", "price_scope",
    "price_version", "price_role", "price_basis")
BILLING_COLUMNS = ("billing", "billing_open", "billed_seconds", "updated_at")
ISSUING_COLUMNS = ("billing", "billing_open", "locked", "relieved_seconds", "wip_relieved",
                   "updated_at")

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
    # the legal entities its sender may post to, comma-separated (NULL: all): a payload a
    # crash left ``received`` is processed later as its sender could (``recover_intake``)
    Column("entities", String(500), nullable=True),
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
    Column("inbox_id", Id, nullable=False),  # its payload (checked_per_statement)
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
    Column("content_key", String(32), nullable=False),
    # the content (employee, project, task, date, time, notes) this row holds for duplicate
    # checks, unique: two concurrent intakes that each found a content absent cannot both
    # store it. A new row takes its content; a revision takes its new one unless another row
    # holds it (a revision is the source's word for a known id, never refused as a
    # duplicate), else none; intake looks duplicates up here (content_key has no index)
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
    # the rate decision approval took (issue 16, item 2; ports.entries.StoredPrice): billing
    # reuses it while ``price_basis`` (domain.pricing.PriceBasis) still matches master data,
    # else prices again; the currency is ``wip_currency``. Null: nothing priced or kept
    Column("price_rate", ExactDecimal),
    Column("price_card", String(64)),
    Column("price_row", String(64)),
    Column("price_rule", String(32)),
    Column("price_scope", String(16)),
    Column("price_version", Integer),
    Column("price_role", String(64)),
    Column("price_basis", String(32)),
    # the billing ledger by quantity: seconds on live invoices net of credits, seconds
    # written off, and how much of the WIP has been relieved by invoicing (seconds, amount)
    Column("billed_seconds", BigInteger, nullable=False, server_default="0"),
    Column("written_off_seconds", BigInteger, nullable=False, server_default="0"),
    Column("relieved_seconds", BigInteger, nullable=False, server_default="0"),
    Column("wip_relieved", ExactDecimal),
    # whether ``billing`` is an open state: derived, never written (0029_billing_open)
    Column("billing_open", Boolean, Computed(BILLING_OPEN_STATES)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # set when the source deleted the entry (a tombstone row); the row itself is kept
    Column("deleted_at", UtcDateTime),
    # external id first: lookups of a batch's ids (IN list) must use the index even while the
    # planner's statistics still describe an empty table (the first large load)
    checked_per_statement("inbox_id", "inbox.id"),
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
    # Only the indexes queries need (issue 16; migration 0028). ``billing`` is in no index
    # key: billing, issuing, credits and voids rewrite it on every billed entry, and each
    # UPDATE rewrote both composite (…, billing, …) indexes. Who reads by what, and how:
    #   billing run, incremental billing: contract_counts and select per contract group
    #     (approved, unbilled|credited, billable, work_date <= through)   -> ix_…_open
    #   WIP reports (kpi_wip, wip_figures, unbilled_wip, alert_wip_age):
    #     approved, unbilled|credited|on_draft                             -> ix_…_open
    #   approval by filter: draft|submitted (+ employee, project, dates)   -> ix_…_pending
    #   issuing, billing, credits, voids: UPDATE … by id                   -> primary key
    #   revenue effort (contract, approved, work_date <= through)          -> ix_…_contract_date
    #   day_rows (rounding: employee, date, contract)                      -> ix_…_employee_date
    #   project reports, holds (project, dates)                            -> ix_…_project_date
    #   payroll (approved, a period), the state counts: a scan (not hot)
    # The open index holds only open work, which an entry enters at approval and leaves once,
    # when it is invoiced (one index delete), so it stays small and flat however long the
    # invoiced history. Billing (unbilled -> on_draft) changes no key column, but SQLite
    # rewrites a partial index's row when a column of its predicate changes: one index
    # delete + insert per billed entry instead of two. PostgreSQL's predicate is on
    # ``billing_open``, which that change leaves alone, so the UPDATE can be HOT and touch
    # no index at all (0029_billing_open; fillfactor 50 leaves the room on the page).
    Index("ix_time_entries_contract_date", "contract", "work_date"),
    Index("ix_time_entries_open", "contract", "work_date", sqlite_where=OPEN_WORK,
          postgresql_where=OPEN_WORK_PG),
    Index("ix_time_entries_employee_date", "employee", "work_date"),
    Index("ix_time_entries_project_date", "project", "work_date"),
    # only the entries still waiting for approval (a few among millions): approving new work
    # reads this small index, not every stored entry of the period (see PENDING_APPROVAL)
    Index("ix_time_entries_pending", "id", sqlite_where=PENDING_APPROVAL,
          postgresql_where=PENDING_APPROVAL),
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
    # any change (reassessed, resolved, dismissed): the list takes `updated_since`
    Column("updated_at", UtcDateTime, default=created_or_now, onupdate=utc_now),
    Index("ix_exceptions_updated_at", "updated_at"),
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
    Column("inbox_id", Id, nullable=False),  # its payload (checked_per_statement)
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
    Column("content_key", String(32), nullable=False),
    Column("intake_key", String(32)),  # see time_entries
    Column("approval", String(16), nullable=False),  # submitted / approved / rejected
    Column("approved_at", UtcDateTime),
    Column("approved_by", String(128)),
    Column("billing", String(16), nullable=False),  # unbilled / billed / written_off / non_billable
    Column("invoice_line", Id, ForeignKey("invoice_lines.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    checked_per_statement("inbox_id", "inbox.id"),
    UniqueConstraint("external_id", "source", name="uq_expenses_external_id_source"),
    UniqueConstraint("intake_key", name="uq_expenses_intake_key"),
    Index("ix_expenses_contract_axes", "contract", "approval", "billing", "spent_on"),
    Index("ix_expenses_project_date", "project", "spent_on"),
    Index("ix_expenses_invoice_line", "invoice_line"),
)
