"""Outbox: events to deliver, added once per key in the same transaction; dead letters put
back under their original key."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, select, update

from . import tables as t
from ._sql import _chunks


def event_entity() -> ColumnElement[Any]:
    """The legal entity an outbox event is about, from what it carries (one SQL expression,
    so lists filter and page in the query): a journal entry's own ``entity``; a webhook
    delivery's event's; an ERP document's through the journal entry it maps (its key is
    ``erp:DESTINATION:JOURNAL_KEY``). NULL for an event about no one entity (a payments
    pull): only a key for every entity sees it."""
    ob, je = t.outbox, t.journal_entries
    destination = ob.c.payload[("data", "destination")].as_string()
    mapped = select(je.c.entity).where(
        je.c.key == func.substr(ob.c.key, func.length(destination) + 6),
        ob.c.key.startswith("erp:"))
    return func.coalesce(ob.c.payload[("data", "entity")].as_string(),
                         ob.c.payload[("event", "data", "entity")].as_string(),
                         mapped.scalar_subquery())


def events_of(entities: Collection[str]) -> ColumnElement[bool]:
    """The events about one of ``entities`` (a key limited to them sees these only)."""
    return event_entity().in_(sorted(entities))


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

    def dead_letter_ids(self, ids: Sequence[int] = (), reason: str | None = None,
                        since: datetime | None = None,
                        entities: Collection[str] | None = None) -> list[int]:
        """Dead letters by id, reason and/or since (``entities``: only theirs)."""
        ob = t.outbox
        stmt = select(ob.c.id).where(ob.c.status == "dead").order_by(ob.c.id)
        if entities is not None:
            stmt = stmt.where(events_of(entities))
        if ids:
            stmt = stmt.where(ob.c.id.in_(list(ids)))
        if reason:
            stmt = stmt.where(ob.c.dead_reason == reason)
        if since:
            stmt = stmt.where(ob.c.processed_at >= since)
        return [r[0] for r in self.conn.execute(stmt)]

    def revive(self, outbox_id: int, by: str, note: str, now: datetime) -> bool:
        """Put one dead letter back as pending (same row, same key, attempts from zero) and
        audit it. The update only matches a row still dead, so of two replays running at once
        exactly one wins; the other gets False and leaves it alone."""
        ob = t.outbox
        before = self.conn.execute(select(ob.c.key, ob.c.dead_reason, ob.c.last_error)
                                   .where(ob.c.id == outbox_id, ob.c.status == "dead")).first()
        if before is None:
            return False
        won = self.conn.execute(update(ob).where(ob.c.id == outbox_id, ob.c.status == "dead")
                                .values(status="pending", attempts=0, available_at=now,
                                        lease_until=None, processed_at=None,
                                        dead_reason=None)).rowcount
        if not won:
            return False
        self.conn.execute(insert(t.dead_letter_replays).values(
            outbox_id=outbox_id, key=before.key, dead_reason=before.dead_reason,
            last_error=before.last_error, replayed_by=by, note=note, replayed_at=now))
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
