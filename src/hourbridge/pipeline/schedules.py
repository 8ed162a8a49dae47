"""Running schedules: the worker asks which are due (``run_due``) on every round; each due
tick is claimed in the database before it runs, so any number of workers run it once.

A run holds a lease it renews from a heartbeat thread while the action works (a billing run
may take minutes); a worker killed mid-run leaves its lease to run out, and the next worker
to look finds the tick due again and takes it over. Actions are safe to run again (a billing
run bills what is still open, a revenue run books what is not booked, exports replace their
file whole), so a run taken over after a crash repeats nothing twice.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hourbridge.domain.schedules import Schedule, due_tick
from hourbridge.errors import NotFound
from hourbridge.observability.logging import logger

Action = Callable[[Schedule, datetime], dict[str, Any]]
log = logger(__name__)


class ScheduleRuns(Protocol):
    def last_ticks(self, now: datetime) -> dict[str, datetime]: ...
    def claim(self, schedule: str, tick: datetime, trigger: str, worker: str,
              now: datetime, lease_until: datetime) -> int | None: ...
    def renew(self, run_id: int, until: datetime) -> None: ...
    def finish(self, run_id: int, status: str, now: datetime, result: dict[str, Any] | None,
               error: str | None = None) -> None: ...


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Scheduler:
    schedules: Sequence[Schedule]
    runs: ScheduleRuns
    actions: Mapping[str, Action]
    clock: Callable[[], datetime]
    lease: timedelta = timedelta(minutes=5)
    worker: str = field(default_factory=worker_name)

    def schedule(self, name: str) -> Schedule:
        for s in self.schedules:
            if s.name == name:
                return s
        raise NotFound("schedule", name)

    def due(self) -> list[tuple[Schedule, datetime]]:
        now = self.clock()
        last = self.runs.last_ticks(now)
        due = ((s, due_tick(s, now, last.get(s.name))) for s in self.schedules)
        return [(s, tick) for s, tick in due if tick is not None]

    def run_due(self) -> list[dict[str, Any]]:
        """Run every schedule due now whose tick this worker wins; what each run did."""
        done = []
        for s, tick in self.due():
            outcome = self._run(s, tick, "cron")
            if outcome is not None:
                done.append(outcome)
        return done

    def run_now(self, name: str) -> dict[str, Any]:
        """``schedules run NAME``: run it now, as if its tick were this moment (recorded as a
        manual run: the cron ticks are unaffected)."""
        s = self.schedule(name)
        outcome = self._run(s, self.clock(), "manual")
        assert outcome is not None, "a manual run's moment is its own"
        return outcome

    def _run(self, s: Schedule, tick: datetime, trigger: str) -> dict[str, Any] | None:
        now = self.clock()
        run_id = self.runs.claim(s.name, tick, trigger, self.worker, now, now + self.lease)
        if run_id is None:
            return None  # another worker has this tick
        head = {"run": run_id, "schedule": s.name, "action": s.action,
                "tick": tick.isoformat(), "trigger": trigger}
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run_id, stop),
                                name=f"schedule-{s.name}", daemon=True)
        beat.start()
        try:
            result = self.actions[s.action](s, tick)
        except Exception as exc:  # recorded on the run, never swallowed
            stop.set()
            beat.join()
            error = f"{type(exc).__name__}: {exc}"
            self.runs.finish(run_id, "failed", self.clock(), None, error)
            log.error("schedule run failed", schedule=s.name, tick=tick.isoformat(),
                      error=type(exc).__name__)
            return {**head, "status": "failed", "error": error}
        stop.set()
        beat.join()
        self.runs.finish(run_id, "done", self.clock(), result)
        return {**head, "status": "done", "result": result}

    def _heartbeat(self, run_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.lease.total_seconds() / 3):
            self.runs.renew(run_id, self.clock() + self.lease)
