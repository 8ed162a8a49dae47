"""Outbox: events to deliver, added once per key in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from . import tables as t
from ._sql import _chunks


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

    def add_many(self, events: Sequence[tuple[str, str, str, dict[str, Any]]],
                 at: datetime) -> set[str]:
        """``add`` for a batch: one look-up of the keys and one bulk insert of the new ones."""
        ob = t.outbox
        taken: set[str] = set()
        for part in _chunks([k for k, *_ in events]):
            taken.update(self.conn.execute(select(ob.c.key).where(ob.c.key.in_(part)))
                         .scalars())
        rows: dict[str, dict[str, Any]] = {}
        for key, type_, subject, payload in events:
            if key not in taken and key not in rows:
                rows[key] = {"key": key, "type": type_, "subject": subject,
                             "payload": payload, "status": "pending", "attempts": 0,
                             "available_at": at, "created_at": at}
        if rows:
            self.conn.execute(insert(ob), list(rows.values()))
        return set(rows)
