"""Tracker connections (issue 11): where to pull from, the secret encrypted at rest (Fernet,
the key from the environment; never stored or shown in clear) and the stored sync cursor,
which advances only in the transaction that stored the rows it covers; and the webhook
deliveries taken from each (replay dedupe by the tracker's delivery id)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, LargeBinary, String, Table, Text

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
webhook_receipts = Table(
    "webhook_receipts", metadata,
    Column("connection", String(64), ForeignKey("connections.name", ondelete="CASCADE"),
           primary_key=True),
    Column("delivery_id", String(100), primary_key=True),
    Column("inbox_id", Id, ForeignKey("inbox.id"), nullable=True),  # the kept payload
    Column("received_at", UtcDateTime(timezone=True), nullable=False),
)

# invoiced entries marked exported at their tracker (Kimai ``PATCH /api/timesheets/{id}``
# ``{"exported": true}``): written after the tracker answered, so a crash in between only
# sends the same absolute PATCH again
tracker_exports = Table(
    "tracker_exports", metadata,
    Column("connection", String(64), ForeignKey("connections.name", ondelete="CASCADE"),
           primary_key=True),
    Column("external_id", String(128), primary_key=True),
    Column("marked_at", UtcDateTime(timezone=True), nullable=False),
)

# a delivery refused (bad signature, a replay outside the window, a body its tracker's format
# cannot read), kept for audit and never processed: the headers without any secret
webhook_quarantine = Table(
    "webhook_quarantine", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("connection", String(64), nullable=False, index=True),  # no FK: kept after removal
    Column("reason", String(40), nullable=False),  # the refusal's reason code
    Column("detail", Text, nullable=False),
    Column("headers", Text, nullable=False),  # JSON object, secrets removed
    Column("body", LargeBinary, nullable=False),
    Column("received_at", UtcDateTime(timezone=True), nullable=False),
)
