"""Corrections: proposals with what they change and where they were adjusted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from .. import tables as t
from ._common import QueryBase, _json, _money_fields


def _changes(before: dict[str, Any], after: dict[str, Any] | None) -> dict[str, Any]:
    """Field -> [old, new] for what a correction changes (``deleted`` for a deletion)."""
    if after is None:
        return {"deleted": [False, True]}
    return {k: [v, after.get(k)] for k, v in before.items()
            if k != "revision" and after.get(k) != v}


class CorrectionQueries(QueryBase):
    def corrections(self, *, status: str | None = "open", limit: int = 1000,
                    offset: int = 0, entities: Collection[str] | None = None,
                    ids: Collection[int] | None = None) -> list[dict[str, Any]]:
        """Proposals in id order (``entities``: only those on these legal entities' entries;
        ``ids``: only these)."""
        c, inv, li, te = t.corrections, t.invoices, t.invoice_lines, t.time_entries
        adjustment = li.alias("adjustment")
        adjusted_on = inv.alias("adjusted_on")
        stmt = (select(c, te.c.source, te.c.external_id, inv.c.number.label("invoice_number"),
                       li.c.line_no, adjusted_on.c.id.label("adjustment_invoice"),
                       adjustment.c.line_no.label("adjustment_line_no"))
                .join(te, te.c.id == c.c.entry)
                .outerjoin(inv, inv.c.id == c.c.invoice).outerjoin(li, li.c.id == c.c.line)
                .outerjoin(adjustment, adjustment.c.id == c.c.adjustment_line)
                .outerjoin(adjusted_on, adjusted_on.c.id == adjustment.c.invoice))
        if status:
            stmt = stmt.where(c.c.status == status)
        if entities is not None:
            stmt = stmt.where(te.c.entity.in_(sorted(entities)))
        if ids is not None:
            stmt = stmt.where(c.c.id.in_(sorted(ids)))
        stmt = stmt.order_by(c.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        out = []
        for r in rows:
            r = _money_fields(_json(r), ("old_amount", "new_amount", "difference"),
                              r["currency"])
            r["changes"] = _changes(r["before"], r["after"])
            r.pop("revision", None)  # the raw revision stays in the store and the inbox
            out.append(r)
        return out
