"""Inbox: payloads received and their row counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ..inbox import SqlInbox
from ._common import QueryBase


class InboxQueries(QueryBase):
    def inbox(self) -> dict[str, int]:
        ib = t.inbox
        with self.engine.connect() as conn:
            r = conn.execute(select(func.count(), func.coalesce(func.sum(ib.c.rows_total), 0),
                                    func.coalesce(func.sum(ib.c.rows_accepted), 0),
                                    func.coalesce(func.sum(ib.c.rows_rejected), 0),
                                    func.coalesce(func.sum(ib.c.rows_unchanged), 0))).one()
        return {"payloads": r[0], "rows": int(r[1]), "accepted": int(r[2]),
                "rejected": int(r[3]), "unchanged": int(r[4])}

    def payloads(self, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Kept payloads, newest first: what became of each, and how often its processing
        began (above 1: a crash or a retry)."""
        ib = t.inbox
        stmt = select(ib.c.id, ib.c.source, ib.c.kind, ib.c.filename, ib.c.received_at,
                      ib.c.size_bytes, ib.c.status, ib.c.attempts, ib.c.rows_total,
                      ib.c.rows_accepted, ib.c.rows_rejected, ib.c.rows_unchanged)
        if status is not None:
            stmt = stmt.where(ib.c.status == status)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                stmt.order_by(ib.c.id.desc()).limit(limit))]

    def stuck_payloads(self, received_before: datetime) -> list[dict[str, Any]]:
        """Payloads kept but never processed, received before the instant, oldest first,
        each with the ``entities`` its sender may post to (None: all)."""
        ib = t.inbox
        with self.engine.connect() as conn:
            return [{**r._mapping, "entities": None if r.entities is None
                     else frozenset(r.entities.split(","))} for r in conn.execute(
                select(ib.c.id, ib.c.source, ib.c.kind, ib.c.filename, ib.c.media_type,
                       ib.c.entities)
                .where(ib.c.status == "received", ib.c.received_at < received_before)
                .order_by(ib.c.id))]

    def payload_chunks(self, inbox_id: int) -> Iterator[bytes]:
        """A kept payload, chunk by chunk, exactly as received (one chunk in memory)."""
        with self.engine.connect() as conn:
            yield from SqlInbox(conn).payload(inbox_id)
