"""Outbox: events to deliver, added once per key in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from . import tables as t


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool:
        """Record an event to deliver; a key already recorded is kept as it was."""
        exists = self.conn.execute(select(func.count()).select_from(t.outbox)
                                   .where(t.outbox.c.key == key)).scalar_one()
        if exists:
            return False
        self.conn.execute(insert(t.outbox).values(
            key=key, type=type_, subject=subject, payload=payload, status="pending",
            attempts=0, available_at=at, created_at=at))
        return True
