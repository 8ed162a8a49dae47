"""Holds: placed and released on entries, projects, contracts and customers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from hourbridge.domain.holds import Hold, HoldScope

from . import tables as t

_h = t.holds
# built once: a billing run reads the active holds, and building the statement and its
# cache key per run cost more than the query (issue 16)
_ACTIVE = select(_h).where(_h.c.released_at.is_(None)).order_by(_h.c.id)


class SqlHolds:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def active(self) -> list[Hold]:
        return [Hold(r.id, HoldScope(r.scope), r.ref, r.reason, r.owner_role, r.placed_at,
                     r.placed_by, r.note)
                for r in self.conn.execute(_ACTIVE)]

    def place(self, scope: str, ref: str, reason: str, owner_role: str, note: str,
              at: datetime, by: str) -> int:
        return int(self.conn.execute(insert(t.holds).values(
            scope=scope, ref=ref, reason=reason, owner_role=owner_role, note=note,
            placed_at=at, placed_by=by).returning(t.holds.c.id)).scalar_one())

    def release(self, hold_id: int, at: datetime, by: str, note: str) -> bool:
        h = t.holds
        done = self.conn.execute(update(h).where(h.c.id == hold_id, h.c.released_at.is_(None))
                                 .values(released_at=at, released_by=by, release_note=note))
        return done.rowcount == 1

    def entry_exists(self, entry_id: int) -> bool:
        te = t.time_entries
        return self.conn.execute(select(te.c.id).where(te.c.id == entry_id)).first() is not None
