"""Delivery: outbox counts by status, dead letters and their replays."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ..outbox import event_entity, events_of
from ._common import QueryBase


def _iso(row: dict[str, Any], *names: str) -> dict[str, Any]:
    for n in names:
        row[n] = row[n].isoformat() if row[n] else None
    return row


class OutboxQueries(QueryBase):
    def outbox_counts(self) -> dict[str, int]:
        ob = t.outbox
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(
                select(ob.c.status, func.count()).group_by(ob.c.status))}

    def dead_letters(self, limit: int = 100, reason: str | None = None,
                     since: datetime | None = None, after: int | None = None,
                     entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Dead letters in id order (``entities``: only those about these legal entities)."""
        ob = t.outbox
        stmt = (select(ob.c.id, ob.c.key, ob.c.type, ob.c.subject, ob.c.attempts,
                       ob.c.dead_reason.label("reason"), ob.c.last_error, ob.c.processed_at)
                .where(ob.c.status == "dead").order_by(ob.c.id).limit(limit))
        if reason:
            stmt = stmt.where(ob.c.dead_reason == reason)
        if since:
            stmt = stmt.where(ob.c.processed_at >= since)
        if after:
            stmt = stmt.where(ob.c.id > after)
        if entities is not None:
            stmt = stmt.where(events_of(entities))
        with self.engine.connect() as conn:
            return [_iso(dict(r._mapping), "processed_at") for r in conn.execute(stmt)]

    def event_entity(self, outbox_id: int) -> str | None:
        """The legal entity one outbox event is about (None: none known, or no such event)."""
        with self.engine.connect() as conn:
            found: str | None = conn.execute(select(event_entity()).where(
                t.outbox.c.id == outbox_id)).scalar()
        return found

    def dead_letter(self, outbox_id: int) -> dict[str, Any] | None:
        """One outbox row (dead, or replayed since) with its payload and replay audit."""
        ob, rp = t.outbox, t.dead_letter_replays
        with self.engine.connect() as conn:
            row = conn.execute(select(
                ob.c.id, ob.c.key, ob.c.type, ob.c.subject, ob.c.status, ob.c.attempts,
                ob.c.dead_reason.label("reason"), ob.c.last_error, ob.c.created_at,
                ob.c.processed_at, ob.c.payload).where(ob.c.id == outbox_id)).first()
            if row is None:
                return None
            replays = [_iso(dict(r._mapping), "replayed_at") for r in conn.execute(
                select(rp.c.replayed_by, rp.c.replayed_at, rp.c.note, rp.c.dead_reason,
                       rp.c.last_error).where(rp.c.outbox_id == outbox_id)
                .order_by(rp.c.id))]
        return {**_iso(dict(row._mapping), "created_at", "processed_at"), "replays": replays}
