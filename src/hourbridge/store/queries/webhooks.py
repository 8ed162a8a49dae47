"""Webhooks: the delivery log, and refused deliveries in quarantine."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import func, select

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

    def webhook_quarantine(self, connection: str | None = None, limit: int = 100
                           ) -> list[dict[str, Any]]:
        """Refused webhook deliveries (newest first), without their bodies."""
        q = t.webhook_quarantine
        query = select(q.c.id, q.c.connection, q.c.reason, q.c.detail, q.c.received_at,
                       func.length(q.c.body).label("size_bytes"))
        if connection is not None:
            query = query.where(q.c.connection == connection)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                query.order_by(q.c.id.desc()).limit(limit))]
        for r in rows:
            r["received_at"] = r["received_at"].isoformat()
        return rows

    def webhook_quarantined(self, quarantine_id: int) -> dict[str, Any] | None:
        """One refused delivery in full: headers (secrets removed) and body (UTF-8 text, or
        base64 when it is not text)."""
        q = t.webhook_quarantine
        with self.engine.connect() as conn:
            row = conn.execute(select(q).where(q.c.id == quarantine_id)).first()
        if row is None:
            return None
        shown = dict(row._mapping)
        raw: bytes = shown.pop("body")
        try:
            shown["body"], shown["body_encoding"] = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            shown["body"], shown["body_encoding"] = base64.b64encode(raw).decode(), "base64"
        shown["headers"] = json.loads(shown["headers"])
        shown["received_at"] = shown["received_at"].isoformat()
        shown["size_bytes"] = len(raw)
        return shown
