"""Webhook subscriptions (secret only as ciphertext)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.services.ports.webhooks import Subscription

from . import tables as t


def _record(r: Any) -> Subscription:
    return Subscription(r.name, r.url, tuple(r.event_types), r.secret, r.status,
                        r.disabled_reason, r.created_at, r.disabled_at)


class SqlWebhooks:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, subscription: Subscription, now: datetime) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.webhook_subscriptions).values(
                    name=subscription.name, url=subscription.url,
                    event_types=list(subscription.event_types),
                    secret=subscription.sealed_secret, status="active", created_at=now))
        except IntegrityError:
            return False
        return True

    def get(self, name: str) -> Subscription | None:
        ws = t.webhook_subscriptions
        row = self.conn.execute(select(ws).where(ws.c.name == name)).first()
        return None if row is None else _record(row)

    def all(self) -> list[Subscription]:
        ws = t.webhook_subscriptions
        return [_record(r) for r in self.conn.execute(select(ws).order_by(ws.c.name))]

    def remove(self, name: str) -> bool:
        ws = t.webhook_subscriptions
        return bool(self.conn.execute(delete(ws).where(ws.c.name == name)).rowcount)

    def disable(self, name: str, reason: str, now: datetime) -> bool:
        ws = t.webhook_subscriptions
        done = self.conn.execute(update(ws).where(ws.c.name == name, ws.c.status == "active")
                                 .values(status="disabled", disabled_reason=reason[:2000],
                                         disabled_at=now))
        return bool(done.rowcount)

    def log(self, name: str, webhook_id: str, status: int | None, outcome: str,
            error: str | None, now: datetime) -> None:
        self.conn.execute(insert(t.webhook_deliveries).values(
            subscription=name, webhook_id=webhook_id, status=status, outcome=outcome,
            error=None if error is None else error[:2000], attempted_at=now))
