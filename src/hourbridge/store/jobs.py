"""The outbox as a job queue: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one writer on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update

from hourbridge.pipeline.worker import Job

from . import tables as t
from ._sql import _member


class SqlJobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, limit: int, now: datetime, lease: timedelta) -> list[Job]:
        ob = t.outbox
        due = ((ob.c.status == "pending") & (ob.c.available_at <= now)
               & (or_(ob.c.lease_until.is_(None), ob.c.lease_until < now)))
        ids = select(ob.c.id).where(due).order_by(ob.c.id).limit(limit)
        cols = (ob.c.id, ob.c.key, ob.c.type, ob.c.payload, ob.c.attempts)
        if self.engine.dialect.name == "postgresql":
            # one statement, one round trip: the due rows locked (a row another worker holds
            # is skipped), leased and returned; RETURNING keeps no order, so sorted here
            claim = (update(ob).where(ob.c.id.in_(ids.with_for_update(skip_locked=True)
                                                  .scalar_subquery()))
                     .values(lease_until=now + lease).returning(*cols))
            with self.engine.begin() as conn:
                return sorted((Job(*r) for r in conn.execute(claim)), key=lambda j: j.id)
        # SQLite: the transaction holds the single write lock, so read then lease
        with self.engine.begin() as conn:
            jobs = [Job(*r) for r in conn.execute(
                select(*cols).where(due).order_by(ob.c.id).limit(limit))]
            if jobs:
                conn.execute(update(ob).where(ob.c.id.in_([j.id for j in jobs]))
                             .values(lease_until=now + lease))
        return jobs

    def renew(self, job_ids: Sequence[int], until: datetime) -> None:
        """The heartbeat: keep the lease of jobs still held (pending, not yet done)."""
        if job_ids:
            with self.engine.begin() as conn:
                conn.execute(update(t.outbox).where(t.outbox.c.id.in_(list(job_ids)),
                                                    t.outbox.c.status == "pending")
                             .values(lease_until=until))

    def release(self, job_ids: Sequence[int]) -> None:
        """Hand jobs back unstarted (a stopping worker): claimable at once."""
        if job_ids:
            with self.engine.begin() as conn:
                conn.execute(update(t.outbox).where(t.outbox.c.id.in_(list(job_ids)),
                                                    t.outbox.c.status == "pending")
                             .values(lease_until=None))

    def complete(self, job_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == job_id).values(
                status="done", processed_at=now, lease_until=None,
                attempts=t.outbox.c.attempts + 1, last_error=None))

    def complete_many(self, job_ids: Sequence[int], now: datetime) -> None:
        """``complete`` for several jobs: one statement (of one shape whatever their number
        on PostgreSQL, so it is compiled and planned once)."""
        ob = t.outbox
        with self.engine.begin() as conn:
            for member in _member(conn, ob.c.id, list(job_ids)):
                conn.execute(update(ob).where(member).values(
                    status="done", processed_at=now, lease_until=None,
                    attempts=ob.c.attempts + 1, last_error=None))

    def retry_later(self, job_id: int, now: datetime, at: datetime, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == job_id).values(
                attempts=t.outbox.c.attempts + 1, available_at=at, lease_until=None,
                last_error=error[:2000]))

    def bury(self, job_id: int, now: datetime, error: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == job_id).values(
                status="dead", attempts=t.outbox.c.attempts + 1, processed_at=now,
                lease_until=None, last_error=error[:2000], dead_reason=reason))
