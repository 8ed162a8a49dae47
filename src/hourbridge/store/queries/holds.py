"""Holds: active (or all) holds, each with the legal entity of what it holds."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from .. import tables as t
from ._common import QueryBase


class HoldQueries(QueryBase):
    def holds(self, *, active_only: bool = True, entities: Collection[str] | None = None
              ) -> list[dict[str, Any]]:
        """Holds in id order; ``entity`` is the legal entity of the customer, project,
        contract or entry held (None: it no longer exists); ``entities``: only holds on
        these legal entities' work."""
        h = t.holds
        stmt = select(h).order_by(h.c.id)
        if active_only:
            stmt = stmt.where(h.c.released_at.is_(None))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
            entity_of = self.held_entities(conn, {(r["scope"], r["ref"]) for r in rows})
        for r in rows:
            for key in ("placed_at", "released_at"):
                r[key] = r[key].isoformat() if r[key] else None
            r["entity"] = entity_of.get((r["scope"], r["ref"]))
        if entities is not None:
            rows = [r for r in rows if r["entity"] in entities]
        return rows

    def held_entity(self, scope: str, ref: str) -> str | None:
        """The legal entity of what a hold of ``scope`` on ``ref`` would hold (None: none)."""
        with self.engine.connect() as conn:
            return self.held_entities(conn, {(scope, ref)}).get((scope, ref))

    @staticmethod
    def held_entities(conn: Any, held: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for scope, table, key in (("customer", t.customers, "id"),
                                  ("project", t.projects, "code"),
                                  ("contract", t.contracts, "id")):
            refs = sorted(ref for s, ref in held if s == scope)
            if refs:
                out.update(((scope, ref), entity) for ref, entity in conn.execute(
                    select(table.c[key], table.c.entity).where(table.c[key].in_(refs))))
        entries = sorted(int(ref) for s, ref in held if s == "entry" and ref.isdigit())
        if entries:
            te = t.time_entries
            out.update((("entry", str(i)), entity) for i, entity in conn.execute(
                select(te.c.id, te.c.entity).where(te.c.id.in_(entries))))
        return out
