"""Outbound webhook subscriptions (issue 12 item 4) and the audit of dead-letter replays
(item 6). A subscription's signing secret is kept only as a Fernet token, like a tracker
connection's."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text

from ..types import UtcDateTime
from .base import Id, metadata

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("name", String(64), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("event_types", JSON, nullable=False),  # list of CloudEvents types, "*" for all
    Column("secret", Text, nullable=False),  # a Fernet token of the whsec_ secret
    Column("status", String(16), nullable=False),  # active / disabled
    Column("disabled_reason", Text),  # why it stopped (the receiver answered 410 Gone...)
    Column("created_at", UtcDateTime(timezone=True), nullable=False),
    Column("disabled_at", UtcDateTime(timezone=True)),
)

# the delivery log: one row per attempt to send a webhook, written after the answer (an
# attempt cut short by a crash leaves no row; the outbox row still says what is pending)
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subscription", String(64), nullable=False),
    Column("webhook_id", String(200), nullable=False),
    Column("status", Integer),  # the receiver's HTTP status; NULL: no answer
    Column("outcome", String(16), nullable=False),  # delivered / retry / gone
    Column("error", Text),
    Column("attempted_at", UtcDateTime(timezone=True), nullable=False),
    Index("ix_webhook_deliveries_subscription", "subscription", "id"),
)

# one row per replay of a dead letter: who, when, why, and what it had died of
dead_letter_replays = Table(
    "dead_letter_replays", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("outbox_id", Id, ForeignKey("outbox.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("dead_reason", String(40)),
    Column("last_error", Text),
    Column("replayed_by", String(100), nullable=False),
    Column("note", Text, nullable=False),
    Column("replayed_at", UtcDateTime(timezone=True), nullable=False),
    Index("ix_dead_letter_replays_outbox", "outbox_id"),
)
