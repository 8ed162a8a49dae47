"""Inbox: received payloads, their stored bytes and row counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from . import tables as t
from ._sql import _member


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, fingerprint: str) -> int | None:
        return self.conn.execute(
            select(t.inbox.c.id).where(t.inbox.c.fingerprint == fingerprint)).scalar()

    def add(self, source: str, fingerprint: str, filename: str, media_type: str,
            size: int, received_at: datetime, kind: str = "time_entries") -> int:
        result = self.conn.execute(insert(t.inbox).values(
            source=source, kind=kind, fingerprint=fingerprint, filename=filename,
            media_type=media_type, received_at=received_at, size_bytes=size, status="received",
        ).returning(t.inbox.c.id))
        return int(result.scalar_one())

    def kinds(self, inbox_ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for member in _member(self.conn, t.inbox.c.id, inbox_ids):
            found.update((i, k) for i, k in self.conn.execute(
                select(t.inbox.c.id, t.inbox.c.kind).where(member)))
        return found

    def keep(self, inbox_id: int, chunks: Iterable[bytes]) -> None:
        for seq, data in enumerate(chunks):
            self.conn.execute(insert(t.inbox_chunks).values(inbox_id=inbox_id, seq=seq,
                                                            data=data))

    def payload(self, inbox_id: int) -> Iterator[bytes]:
        """The kept payload, chunk by chunk, exactly as received."""
        ic = t.inbox_chunks
        seqs = list(self.conn.execute(select(ic.c.seq).where(ic.c.inbox_id == inbox_id)
                                      .order_by(ic.c.seq)).scalars())
        for seq in seqs:
            yield self.conn.execute(select(ic.c.data).where(
                ic.c.inbox_id == inbox_id, ic.c.seq == seq)).scalar_one()

    def record_counts(self, inbox_id: int, status: str, total: int, accepted: int,
                      rejected: int, unchanged: int) -> None:
        self.conn.execute(update(t.inbox).where(t.inbox.c.id == inbox_id).values(
            status=status, rows_total=total, rows_accepted=accepted, rows_rejected=rejected,
            rows_unchanged=unchanged))
