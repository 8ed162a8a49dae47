"""Tracker connections (issue 11): where to pull from, the secret encrypted at rest (Fernet,
the key from the environment; never stored or shown in clear) and the stored sync cursor,
which advances only in the transaction that stored the rows it covers; and the webhook
deliveries taken from each (replay dedupe by the tracker's delivery id)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text

from ..types import UtcDateTime
from .base import Id, metadata

connections = Table(
    "connections", metadata,
    Column("name", String(64), primary_key=True),
    Column("tracker", String(32), nullable=False),
    Column("base_url", String(500), nullable=False),
    Column("secret", Text, nullable=False),  # a Fernet token of the JSON secret
    Column("cursor", String(64), nullable=True),  # the tracker's own cursor text
    Column("synced_at", UtcDateTime(timezone=True), nullable=True),
    Column("created_at", UtcDateTime(timezone=True), nullable=False),
)

# one row per webhook delivery taken: the same delivery id again is a replay. Written after
# its payload's intake, so a crash before it leaves the replay free to finish that intake.
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("connection", String(64), ForeignKey("connections.name", ondelete="CASCADE"),
           primary_key=True),
    Column("delivery_id", String(100), primary_key=True),
    Column("inbox_id", Id, ForeignKey("inbox.id"), nullable=True),  # the kept payload
    Column("received_at", UtcDateTime(timezone=True), nullable=False),
)
