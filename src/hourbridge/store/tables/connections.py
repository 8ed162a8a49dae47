"""Tracker connections (issue 11): where to pull from, the secret encrypted at rest (Fernet,
the key from the environment; never stored or shown in clear) and the stored sync cursor,
which advances only in the transaction that stored the rows it covers."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from ..types import UtcDateTime
from .base import metadata

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
