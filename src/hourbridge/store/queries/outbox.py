"""Delivery: outbox counts by status and dead letters."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase


class OutboxQueries(QueryBase):
    def outbox_counts(self) -> dict[str, int]:
        ob = t.outbox
        with self.engine.connect() as conn:
            return {s: n for s, n in conn.execute(
                select(ob.c.status, func.count()).group_by(ob.c.status))}

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        ob = t.outbox
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(ob.c.id, ob.c.key, ob.c.type, ob.c.attempts, ob.c.last_error,
                       ob.c.processed_at).where(ob.c.status == "dead").order_by(ob.c.id)
                .limit(limit))]
        for r in rows:
            r["processed_at"] = r["processed_at"].isoformat() if r["processed_at"] else None
        return rows
