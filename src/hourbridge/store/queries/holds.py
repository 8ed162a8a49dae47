"""Holds: active (or all) holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import tables as t
from ._common import QueryBase


class HoldQueries(QueryBase):
    def holds(self, *, active_only: bool = True) -> list[dict[str, Any]]:
        h = t.holds
        stmt = select(h).order_by(h.c.id)
        if active_only:
            stmt = stmt.where(h.c.released_at.is_(None))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            for key in ("placed_at", "released_at"):
                r[key] = r[key].isoformat() if r[key] else None
        return rows
