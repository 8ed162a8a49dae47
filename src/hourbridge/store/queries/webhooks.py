"""Webhooks: the delivery log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import tables as t
from ._common import QueryBase


class WebhookQueries(QueryBase):
    def webhook_deliveries(self, subscription: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest attempts to send to ``subscription``, newest first."""
        wd = t.webhook_deliveries
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                select(wd.c.id, wd.c.webhook_id, wd.c.status, wd.c.outcome, wd.c.error,
                       wd.c.attempted_at).where(wd.c.subscription == subscription)
                .order_by(wd.c.id.desc()).limit(limit))]
        for r in rows:
            r["attempted_at"] = r["attempted_at"].isoformat()
        return rows
