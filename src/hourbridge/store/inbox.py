"""Inbox: received payloads, their stored bytes and row counts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables as t
from ._sql import _member


class SqlInbox:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, fingerprint: str) -> int | None:
        return self.conn.execute(
            select(t.inbox.c.id).where(t.inbox.c.fingerprint == fingerprint)).scalar()

    def add(self, source: str, fingerprint: str, filename: str, media_type: str,
            size: int, received_at: datetime, kind: str = "time_entries",
            entities: frozenset[str] | None = None) -> int | None:
        """The new payload's id, or None when a concurrent intake of the same bytes kept it
        first (this transaction is then rolled back to before the insert). ``entities``:
        those its sender may post to (None: all)."""
        nested = self.conn.begin_nested()
        try:
            result = self.conn.execute(insert(t.inbox).values(
                source=source, kind=kind, fingerprint=fingerprint, filename=filename,
                media_type=media_type, received_at=received_at, size_bytes=size,
                status="received",
                entities=None if entities is None else ",".join(sorted(entities)),
                ).returning(t.inbox.c.id))
            inbox_id = int(result.scalar_one())
        except IntegrityError:
            nested.rollback()
            return None
        nested.commit()
        return inbox_id

    def claim(self, inbox_id: int, wait: bool = True) -> str | None:
        """Lock a kept payload for processing its rows until this transaction ends and return
        its status. A concurrent intake of the same payload waits here and
        then finds it processed; with ``wait=False`` (recovery by the worker) a payload
        another process holds gives None at once. A crash releases the lock with the
        rollback, so a payload never stays claimed by a dead process."""
        ib = t.inbox
        if self.conn.dialect.name == "postgresql":
            stmt = select(ib.c.status).where(ib.c.id == inbox_id).with_for_update(
                skip_locked=not wait)
            status = self.conn.execute(stmt).scalar()
            if status is None:
                return None
            return str(status)
        return self.conn.execute(select(ib.c.status).where(ib.c.id == inbox_id)).scalar()

    def count_attempt(self, inbox_id: int) -> None:
        """Count an intake of a payload not yet processed, in the transaction that keeps it
        (committed before processing begins, so an attempt a crash cut short still counts).
        A payload another process holds right now is not waited for here."""
        ib = t.inbox
        mine = select(ib.c.id).where(ib.c.id == inbox_id, ib.c.status == "received")
        if self.conn.dialect.name == "postgresql":
            mine = mine.with_for_update(skip_locked=True)
        self.conn.execute(update(ib).where(ib.c.id.in_(mine.scalar_subquery()))
                          .values(attempts=ib.c.attempts + 1))

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
