"""The outbox as a job queue: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one writer on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update

from hourbridge.pipeline.worker import Job

from . import tables as t


class SqlJobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, limit: int, now: datetime, lease: timedelta) -> list[Job]:
        ob = t.outbox
        due = or_(
            (ob.c.status == "pending") & (ob.c.available_at <= now)
            & (or_(ob.c.lease_until.is_(None), ob.c.lease_until < now)),
        )
        stmt = (select(ob.c.id, ob.c.key, ob.c.type, ob.c.payload, ob.c.attempts)
                .where(due).order_by(ob.c.id).limit(limit))
        if self.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            jobs = [Job(*r) for r in conn.execute(stmt)]
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
        """``complete`` for several jobs in one statement."""
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id.in_(list(job_ids))).values(
                status="done", processed_at=now, lease_until=None,
                attempts=t.outbox.c.attempts + 1, last_error=None))

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
