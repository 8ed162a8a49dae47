"""Tracker connections: the record (secret only as ciphertext) and its sync cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection as SqlConnection
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.services.ports.connections import Connection

from . import tables as t


class SqlConnections:
    def __init__(self, conn: SqlConnection) -> None:
        self.conn = conn

    @staticmethod
    def _record(r: object) -> Connection:
        return Connection(r.name, r.tracker, r.base_url, r.secret, r.cursor,  # type: ignore[attr-defined]
                          r.synced_at)  # type: ignore[attr-defined]

    def add(self, connection: Connection, now: datetime) -> bool:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.connections).values(
                    name=connection.name, tracker=connection.tracker,
                    base_url=connection.base_url, secret=connection.sealed_secret,
                    cursor=None, synced_at=None, created_at=now))
        except IntegrityError:
            return False
        return True

    def get(self, name: str) -> Connection | None:
        row = self.conn.execute(select(t.connections).where(t.connections.c.name == name)).first()
        return None if row is None else self._record(row)

    def all(self) -> list[Connection]:
        return [self._record(r) for r in self.conn.execute(
            select(t.connections).order_by(t.connections.c.name))]

    def remove(self, name: str) -> bool:
        # its deliveries go with it (SQLite may run without foreign-key cascades)
        for marks in (t.webhook_receipts, t.tracker_exports):
            self.conn.execute(delete(marks).where(marks.c.connection == name))
        done = self.conn.execute(delete(t.connections).where(t.connections.c.name == name))
        return bool(done.rowcount)

    def advance(self, name: str, cursor: str, now: datetime) -> None:
        self.conn.execute(update(t.connections).where(t.connections.c.name == name)
                          .values(cursor=cursor, synced_at=now))

    def reseal(self, name: str, sealed_secret: str) -> bool:
        done = self.conn.execute(update(t.connections).where(t.connections.c.name == name)
                                 .values(secret=sealed_secret))
        return bool(done.rowcount)

    def unmarked_invoiced(self, source: str, limit: int) -> list[str]:
        te, tx = t.time_entries, t.tracker_exports
        marked = select(tx.c.external_id).where(tx.c.connection == source,
                                               tx.c.external_id == te.c.external_id)
        return [r[0] for r in self.conn.execute(
            select(te.c.external_id).where(
                te.c.source == source, te.c.billing == "invoiced", te.c.deleted_at.is_(None),
                ~marked.exists()).order_by(te.c.external_id).limit(limit))]

    def record_exported(self, source: str, external_ids: list[str], now: datetime) -> int:
        added = 0
        for external_id in external_ids:
            try:
                # a savepoint each: a concurrent marker that recorded first is no failure
                with self.conn.begin_nested():
                    self.conn.execute(insert(t.tracker_exports).values(
                        connection=source, external_id=external_id, marked_at=now))
                added += 1
            except IntegrityError:
                pass
        return added

    def live_entry_ids(self, source: str) -> set[str]:
        te = t.time_entries
        return {r[0] for r in self.conn.execute(
            select(te.c.external_id).where(te.c.source == source, te.c.deleted_at.is_(None)))}
