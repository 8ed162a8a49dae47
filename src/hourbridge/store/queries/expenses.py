"""Expenses: pages with money rounded to the currency."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select

from .. import tables as t
from ._common import QueryBase, _json, money


class ExpenseQueries(QueryBase):
    def expenses(self, *, employee: str | None = None, project: str | None = None,
                 approval: str | None = None, billing: str | None = None,
                 limit: int = 100, offset: int = 0, after: int | None = None,
                 updated_since: datetime | None = None,
                 entities: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Expenses in id order, filtered (``entities``: only those of these legal
        entities)."""
        ex = t.expenses
        stmt = select(ex.c.id, ex.c.source, ex.c.external_id, ex.c.revision, ex.c.employee,
                      ex.c.project, ex.c.task, ex.c.entity, ex.c.contract, ex.c.spent_on,
                      ex.c.category, ex.c.description, ex.c.amount, ex.c.currency,
                      ex.c.billable, ex.c.receipt_ref, ex.c.approval, ex.c.billing,
                      ex.c.invoice_line)
        for col, value in (("employee", employee), ("project", project),
                           ("approval", approval), ("billing", billing)):
            if value:
                stmt = stmt.where(ex.c[col] == value)
        if after is not None:
            stmt = stmt.where(ex.c.id > after)
        if updated_since is not None:
            stmt = stmt.where(ex.c.updated_at >= updated_since)
        if entities is not None:
            stmt = stmt.where(ex.c.entity.in_(sorted(entities)))
        stmt = stmt.order_by(ex.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["amount"] = money(r["amount"], r["currency"])
        return [_json(r) for r in rows]
