"""Delivery (the outbox), the built-in ledger and API idempotency keys."""

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
    # why a dead letter died, a code: refused, attempts_exhausted, no_handler,
    # subscription_disabled (``pipeline.worker.DEAD_REASONS``)
    Column("dead_reason", String(40)),
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

# --- schedules ---------------------------------------------------------------------------
# one row per run of a schedule: a cron tick is claimed by inserting (schedule, tick), so of
# any number of workers exactly one runs it; ``lease_until`` lets another rescue a run whose
# worker died (a manual ``schedules run`` is a row of trigger ``manual`` at its own moment)
schedule_runs = Table(
    "schedule_runs", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("schedule", String(100), nullable=False),
    Column("tick", UtcDateTime, nullable=False),
    Column("trigger", String(16), nullable=False),  # cron / manual
    Column("status", String(16), nullable=False),  # running / done / failed
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("worker", String(200), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("result", JSON),
    Column("error", Text),
    UniqueConstraint("schedule", "tick", name="uq_schedule_runs_tick"),
)
