"""Webhook deliveries taken per connection, and those refused kept in quarantine
(``services.ports.WebhookReceipts``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from . import tables as t


class SqlWebhookReceipts:
    def __init__(self, conn: SqlConnection) -> None:
        self.conn = conn

    def seen(self, connection: str, delivery_id: str) -> bool:
        wd = t.webhook_receipts
        return self.conn.execute(select(wd.c.delivery_id).where(
            wd.c.connection == connection, wd.c.delivery_id == delivery_id)).first() is not None

    def record(self, connection: str, delivery_id: str, inbox_id: int | None,
               now: datetime) -> bool:
        try:
            # a savepoint: a concurrent replay that recorded first leaves the transaction usable
            with self.conn.begin_nested():
                self.conn.execute(insert(t.webhook_receipts).values(
                    connection=connection, delivery_id=delivery_id, inbox_id=inbox_id,
                    received_at=now))
        except IntegrityError:
            return False
        return True

    def quarantine(self, connection: str, reason: str, detail: str,
                   headers: Mapping[str, str], body: bytes, now: datetime) -> int:
        result = self.conn.execute(insert(t.webhook_quarantine).values(
            connection=connection, reason=reason, detail=detail[:2000],
            headers=json.dumps(dict(headers), sort_keys=True), body=body, received_at=now))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])
