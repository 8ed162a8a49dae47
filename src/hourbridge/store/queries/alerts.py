"""What the SLA monitors measure (``domain.alerts``): per monitor, the items past a cutoff,
as (subject, count, oldest) — one grouped statement each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select

from hourbridge.domain.alerts import Breach, Rule

from .. import tables as t
from ._common import QueryBase

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class AlertQueries(QueryBase):
    def alert_breaches(self, rule: Rule, now: datetime) -> list[Breach]:
        if rule.monitor == "dead_letters":
            ob = t.outbox
            with self.engine.connect() as conn:
                n = conn.execute(select(func.count()).where(ob.c.status == "dead")).scalar_one()
            over = int(n) if n > rule.threshold else 0
            return [Breach("dead letters", over, Decimal(int(n)))]
        unit = UNIT_SECONDS[rule.unit]
        cutoff = now - timedelta(seconds=float(rule.threshold) * unit)
        rows = getattr(self, f"_alert_{rule.monitor}")(cutoff, now)
        out = []
        for subject, n, oldest in rows:
            if not n:
                continue
            oldest = _instant(oldest)
            age = Decimal(int((now - oldest).total_seconds())) / unit if oldest else Decimal(0)
            out.append(Breach(subject, int(n), age.quantize(Decimal("0.1"))))
        return out

    def _alert_approval_propagation(self, cutoff: datetime, now: datetime) -> list[Any]:
        ob = t.outbox
        return self._rows(select(func.count(), func.min(ob.c.created_at))
                          .where(ob.c.status == "pending", ob.c.key.like("approval:%"),
                                 ob.c.created_at < cutoff), "approval journal")

    def _alert_outbox_lag(self, cutoff: datetime, now: datetime) -> list[Any]:
        ob = t.outbox
        return self._rows(select(func.count(), func.min(ob.c.available_at))
                          .where(ob.c.status == "pending", ob.c.available_at < cutoff),
                          "outbox")

    def _alert_time_to_post(self, cutoff: datetime, now: datetime) -> list[Any]:
        inv, ep, prof = t.invoices, t.erp_postings, t.erp_profiles
        key = (literal("erp:") + ep.c.destination + literal(":invoice-issued:") + inv.c.entity
               + literal(":") + inv.c.number)
        posted = select(ep.c.key).where(ep.c.status.in_(("posted", "found")), ep.c.key == key)
        stmt = (select(inv.c.entity, func.count(), func.min(inv.c.issued_at))
                .where(inv.c.kind == "invoice", inv.c.status == "issued",
                       inv.c.issued_at < cutoff,
                       inv.c.entity.in_(select(prof.c.entity)), ~posted.exists())
                .group_by(inv.c.entity))
        with self.engine.connect() as conn:
            return [(f"entity {e}", n, at) for e, n, at in conn.execute(stmt)]

    def _alert_wip_age(self, cutoff: datetime, now: datetime) -> list[Any]:
        te = t.time_entries
        stmt = (select(te.c.entity, func.count(), func.min(te.c.work_date))
                .where(t.OPEN_APPROVED, t.OPEN_BILLING, te.c.billable.is_(True),
                       te.c.work_date < cutoff.date())
                .group_by(te.c.entity))
        with self.engine.connect() as conn:
            return [(f"entity {e}", n, d) for e, n, d in conn.execute(stmt)]

    def _alert_stalled_sync(self, cutoff: datetime, now: datetime) -> list[Any]:
        c = t.connections
        last = func.coalesce(c.c.synced_at, c.c.created_at)
        stmt = select(c.c.name, last).where(or_(
            c.c.synced_at < cutoff, c.c.synced_at.is_(None) & (c.c.created_at < cutoff)))
        with self.engine.connect() as conn:
            return [(f"connection {n}", 1, at) for n, at in conn.execute(stmt)]

    def _rows(self, stmt: Any, subject: str) -> list[Any]:
        with self.engine.connect() as conn:
            n, oldest = conn.execute(stmt).one()
        return [(subject, n, oldest)]


def _instant(value: Any) -> datetime | None:
    """An aware instant from what a MIN() returns: a datetime, a date or SQLite's text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
