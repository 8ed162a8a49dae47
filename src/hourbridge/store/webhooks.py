"""Webhook deliveries taken per connection (``services.ports.WebhookDeliveries``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from . import tables as t


class SqlWebhookDeliveries:
    def __init__(self, conn: SqlConnection) -> None:
        self.conn = conn

    def seen(self, connection: str, delivery_id: str) -> bool:
        wd = t.webhook_deliveries
        return self.conn.execute(select(wd.c.delivery_id).where(
            wd.c.connection == connection, wd.c.delivery_id == delivery_id)).first() is not None

    def record(self, connection: str, delivery_id: str, inbox_id: int | None,
               now: datetime) -> bool:
        try:
            # a savepoint: a concurrent replay that recorded first leaves the transaction usable
            with self.conn.begin_nested():
                self.conn.execute(insert(t.webhook_deliveries).values(
                    connection=connection, delivery_id=delivery_id, inbox_id=inbox_id,
                    received_at=now))
        except IntegrityError:
            return False
        return True
