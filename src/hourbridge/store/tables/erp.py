"""ERP sinks: the profiles (how an entity's documents land in an ERP) and the posting record,
one row per document and attempt, with the ERP's id and what came of it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
from .base import Id, metadata

erp_profiles = Table(
    "erp_profiles", metadata,
    Column("destination", String(64), primary_key=True),
    Column("entity", String(64), primary_key=True),
    Column("system", String(32), nullable=False),
    Column("profile", JSON, nullable=False),  # domain.erp.ErpProfile, as loaded
    Column("loaded_at", UtcDateTime, nullable=False),
)

erp_postings = Table(
    "erp_postings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("destination", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # invoice / credit_note / journal_entry
    Column("external_id", String(64), nullable=False),
    Column("key", String(200), nullable=False),  # the outbox key it delivers
    Column("attempt", Integer, nullable=False),
    # sending (recorded before the call: still so after a crash = outcome unknown), posted,
    # found (an earlier attempt had created it), unknown, failed (retryable), refused
    Column("status", String(16), nullable=False),
    Column("erp_id", String(64)),
    Column("error", Text),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    UniqueConstraint("destination", "external_id", "attempt",
                     name="uq_erp_postings_attempt"),
    Index("ix_erp_postings_key", "key"),
)

# which of an ERP's customers each of ours is (domain.erp_identity), as the last pull found
erp_identity_map = Table(
    "erp_identity_map", metadata,
    Column("destination", String(64), primary_key=True),
    Column("customer", String(64), primary_key=True),
    Column("erp_id", String(64), nullable=False),
    Column("matched_by", String(16), nullable=False),  # external_id / vat_id / name
    Column("erp_name", String(200), nullable=False),
    Column("pulled_at", UtcDateTime, nullable=False),
)

# which of an ERP's projects each of ours is (domain.erp_identity.match_projects), as the
# last ``erp projects pull`` found it; erp_id "" for one no rule settled (ambiguous)
erp_project_map = Table(
    "erp_project_map", metadata,
    Column("destination", String(64), primary_key=True),
    Column("project", String(64), primary_key=True),
    Column("erp_id", String(64), nullable=False),
    Column("matched_by", String(16), nullable=False),  # external_id / code / name
    Column("erp_name", String(200), nullable=False),
    Column("pulled_at", UtcDateTime, nullable=False),
)

# payments an ERP holds against an issued invoice or credit note, read back by
# ``erp payments pull``: one row per payment the ERP names (its own id), recorded once
invoice_payments = Table(
    "invoice_payments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("invoice", Id, ForeignKey("invoices.id"), nullable=False, index=True),
    Column("destination", String(64), nullable=False),
    Column("erp_payment_id", String(64), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("amount", ExactDecimal, nullable=False),  # in the document's currency, positive
    Column("currency", String(3), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    UniqueConstraint("invoice", "destination", "erp_payment_id",
                     name="uq_invoice_payments_erp"),
)
