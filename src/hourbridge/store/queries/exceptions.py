"""Exceptions: pages and counts by reason."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ..exceptions import exception_entity, of_entities
from ._common import QueryBase


class ExceptionQueries(QueryBase):
    def exceptions(self, *, status: str | None = "open", reason: str | None = None,
                   owner: str | None = None, limit: int = 100,
                   offset: int = 0, updated_since: datetime | None = None,
                   entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """A page in id order (``entities``: only those about these legal entities)."""
        ex = t.exceptions
        stmt = select(ex.c.id, ex.c.reason, ex.c.owner_role, ex.c.status, ex.c.source,
                      ex.c.external_id, ex.c.location, ex.c.field, ex.c.message,
                      ex.c.created_at, ex.c.note)
        if status:
            stmt = stmt.where(ex.c.status == status)
        if reason:
            stmt = stmt.where(ex.c.reason == reason)
        if owner:
            stmt = stmt.where(ex.c.owner_role == owner)
        if updated_since is not None:
            stmt = stmt.where(ex.c.updated_at >= updated_since)
        if entities is not None:
            stmt = stmt.where(of_entities(entities))
        stmt = stmt.order_by(ex.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["created_at"] = r["created_at"].isoformat()
        return rows

    def exception(self, exception_id: int) -> dict[str, Any] | None:
        """One exception by id (any status), as ``exceptions`` lists it."""
        ex = t.exceptions
        with self.engine.connect() as conn:
            row = conn.execute(select(ex.c.id, ex.c.source, ex.c.status, ex.c.reason,
                                      ex.c.external_id).where(ex.c.id == exception_id)).first()
        return None if row is None else dict(row._mapping)

    def exception_entities(self, ids: Collection[int]) -> list[str | None]:
        """The legal entity each of these exceptions is about (None: none known)."""
        ex = t.exceptions
        with self.engine.connect() as conn:
            return list(conn.execute(select(exception_entity()).where(
                ex.c.id.in_(sorted(ids)))).scalars()) if ids else []

    def exceptions_by_reason(self, status: str | None = "open",
                             entities: Collection[str] | None = None) -> dict[str, int]:
        ex = t.exceptions
        stmt = select(ex.c.reason, func.count()).group_by(ex.c.reason).order_by(ex.c.reason)
        if status:
            stmt = stmt.where(ex.c.status == status)
        if entities is not None:
            stmt = stmt.where(of_entities(entities))
        with self.engine.connect() as conn:
            return {reason: n for reason, n in conn.execute(stmt)}
