"""The audit log (issue 14 item 5): append-only, hash-chained records, and the chain head.

``audit_log`` takes inserts only (triggers refuse UPDATE and DELETE on both databases, see
migration 0012); ``audit_chain_head`` is its one-row head, locked by every append so that
concurrent writers line up instead of forking the chain.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, String, Table, Text

from ..types import UtcDateTime
from .base import Id, metadata

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Id, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(400), nullable=False),
    Column("reason", Text, nullable=False),
    Column("before_digest", String(64)),
    Column("after_digest", String(64), nullable=False),
    Column("changes", JSON, nullable=False),  # rows written per table: counts, never values
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_object", "object", "seq"),
)

audit_chain_head = Table(
    "audit_chain_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", Id, nullable=False),
    Column("hash", String(64), nullable=False),
)
