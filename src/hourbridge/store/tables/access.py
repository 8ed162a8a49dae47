"""API keys (issue 14): one per client system, the secret kept only as its SHA-256, with the
role and scopes it grants, the legal entities it may see, the employee it is (segregation of
duties), its rate limit, and its life: rotation (``expires_at``: the old key keeps working
until then), revocation and last use."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from ..types import UtcDateTime
from .base import metadata

api_keys = Table(
    "api_keys", metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(200), nullable=False),  # the client system it belongs to
    Column("role", String(32), nullable=False),
    Column("scopes", JSON, nullable=False),  # the role's scopes plus any extra ones
    Column("entities", JSON, nullable=True),  # legal entity codes; null: all
    Column("employee", String(64), nullable=True),
    Column("rate_limit", Integer, nullable=True),  # requests per minute; null: the default
    Column("created_at", UtcDateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", UtcDateTime(timezone=True), nullable=True),
    Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
    Column("last_used_at", UtcDateTime(timezone=True), nullable=True),
    Column("replaced_by", String(32), nullable=True),  # the key a rotation made
)

# a legal entity's access policy: with ``four_eyes_issue`` an invoice is never issued by who
# ran the billing that drafted it
entity_policies = Table(
    "entity_policies", metadata,
    Column("entity", String(64), primary_key=True),
    Column("four_eyes_issue", Boolean, nullable=False),
)

# requests per credential per fixed window (api/ratelimit.py): one row per (who, window),
# counted by one UPSERT, so every ``serve`` process shares one count; old windows are pruned
rate_limit_windows = Table(
    "rate_limit_windows", metadata,
    Column("who", String(200), nullable=False),  # key id, or "jwt:<subject>"
    Column("window", BigInteger, nullable=False),  # the window's start, seconds since epoch
    Column("hits", Integer, nullable=False),
    PrimaryKeyConstraint("who", "window", name="pk_rate_limit_windows"),
)
