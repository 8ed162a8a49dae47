"""Schedule runs: a cron tick is claimed by inserting its unique (schedule, tick) row, so of
any number of workers exactly one wins it; a run whose worker died (its lease ran out) is
taken over by a conditional update that only one worker can win either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import tables as t


class SqlScheduleRuns:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def last_ticks(self, now: datetime) -> dict[str, datetime]:
        """Per schedule, its latest cron tick that finished or is running under a live lease
        (a run whose worker died is left out: its tick is due again)."""
        sr = t.schedule_runs
        live = or_(sr.c.status != "running", sr.c.lease_until >= now)
        stmt = (select(sr.c.schedule, func.max(sr.c.tick))
                .where(sr.c.trigger == "cron", live).group_by(sr.c.schedule))
        with self.engine.connect() as conn:
            return {name: tick for name, tick in conn.execute(stmt)}

    def claim(self, schedule: str, tick: datetime, trigger: str, worker: str,
              now: datetime, lease_until: datetime) -> int | None:
        """The run's id if this worker won (schedule, tick), else None."""
        sr = t.schedule_runs
        try:
            with self.engine.begin() as conn:
                made = conn.execute(insert(sr).values(
                    schedule=schedule, tick=tick, trigger=trigger, status="running",
                    attempts=1, worker=worker, started_at=now, lease_until=lease_until))
                key = made.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:
            pass
        with self.engine.begin() as conn:  # taken: ours only if its worker died
            row = conn.execute(select(sr.c.id).where(
                sr.c.schedule == schedule, sr.c.tick == tick, sr.c.status == "running",
                sr.c.lease_until < now)).first()
            if row is None:
                return None
            won = conn.execute(update(sr).where(
                sr.c.id == row.id, sr.c.status == "running", sr.c.lease_until < now).values(
                worker=worker, started_at=now, lease_until=lease_until,
                attempts=sr.c.attempts + 1)).rowcount
            return int(row.id) if won else None

    def renew(self, run_id: int, until: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.schedule_runs).where(
                t.schedule_runs.c.id == run_id, t.schedule_runs.c.status == "running")
                .values(lease_until=until))

    def finish(self, run_id: int, status: str, now: datetime, result: dict[str, Any] | None,
               error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.schedule_runs).where(t.schedule_runs.c.id == run_id).values(
                status=status, finished_at=now, lease_until=None, result=result,
                error=error[:2000] if error else None))

    def runs(self, schedule: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sr = t.schedule_runs
        stmt = select(sr).order_by(sr.c.started_at.desc(), sr.c.id.desc()).limit(limit)
        if schedule is not None:
            stmt = stmt.where(sr.c.schedule == schedule)
        with self.engine.connect() as conn:
            return [{**r._mapping, "tick": r.tick.isoformat(),
                     "started_at": r.started_at.isoformat(),
                     "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                     "lease_until": r.lease_until.isoformat() if r.lease_until else None}
                    for r in conn.execute(stmt)]
