"""Figures for the Prometheus collector (``observability.metrics``), read at scrape time.

Each method is one aggregate statement, so a scrape costs a fixed handful of queries however
large the tables; the collector turns rows into metric families.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from .. import tables as t
from ._common import QueryBase


class TelemetryQueries(QueryBase):
    def outbox_figures(self) -> list[dict[str, Any]]:
        """Per status and event type: messages and delivery attempts made so far."""
        ob = t.outbox
        with self.engine.connect() as conn:
            return [{"status": s, "type": ty, "messages": n, "attempts": int(a or 0)}
                    for s, ty, n, a in conn.execute(
                        select(ob.c.status, ob.c.type, func.count(), func.sum(ob.c.attempts))
                        .group_by(ob.c.status, ob.c.type))]

    def outbox_oldest_pending(self) -> datetime | None:
        """When the oldest undelivered message became due (its lag is now minus this)."""
        ob = t.outbox
        with self.engine.connect() as conn:
            value: datetime | None = conn.execute(
                select(func.min(ob.c.available_at)).where(ob.c.status == "pending")
            ).scalar_one()
        return value

    def inbox_figures(self) -> list[dict[str, Any]]:
        ib = t.inbox
        with self.engine.connect() as conn:
            return [{"status": s, "kind": k, "payloads": n} for s, k, n in conn.execute(
                select(ib.c.status, ib.c.kind, func.count()).group_by(ib.c.status, ib.c.kind))]

    def unbilled_figures(self) -> list[dict[str, Any]]:
        """Approved billable work not yet invoiced, per entity and WIP currency: open seconds
        and open WIP value (booked at approval less relieved), as ``unbilled_wip`` counts it."""
        te = t.time_entries
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(te.c.entity, te.c.wip_currency,
                       func.sum(te.c.billable_seconds - te.c.relieved_seconds),
                       func.sum(func.coalesce(te.c.wip_amount, 0)
                                - func.coalesce(te.c.wip_relieved, 0)))
                .where(t.OPEN_APPROVED, t.OPEN_BILLING, te.c.billable.is_(True))
                .group_by(te.c.entity, te.c.wip_currency)).all()
        return [{"entity": e, "currency": c or "", "seconds": int(s or 0),
                 "value": Decimal(v or 0)} for e, c, s, v in rows]

    def sync_figures(self) -> list[dict[str, Any]]:
        """Each tracker connection and when it last synced (None: never)."""
        c = t.connections
        with self.engine.connect() as conn:
            return [{"connection": n, "tracker": tr, "synced_at": at, "created_at": made}
                    for n, tr, at, made in conn.execute(
                        select(c.c.name, c.c.tracker, c.c.synced_at, c.c.created_at)
                        .order_by(c.c.name))]
