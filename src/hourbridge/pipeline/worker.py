"""The outbox worker: claim jobs in a short transaction, call the sink outside it, record the
outcome in a second one. Every handler is idempotent (events carry deterministic ids), so a job
rescued from a dead worker may safely run twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hourbridge.observability.logging import logger
from hourbridge.observability.tracing import consuming

from .retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    key: str
    type: str
    payload: dict[str, Any]
    attempts: int


class JobStore(Protocol):
    def claim(self, limit: int, now: datetime, lease: timedelta) -> list[Job]: ...
    def complete(self, job_id: int, now: datetime) -> None: ...
    def retry_later(self, job_id: int, now: datetime, at: datetime, error: str) -> None: ...
    def bury(self, job_id: int, now: datetime, error: str) -> None: ...


Handler = Callable[[dict[str, Any]], object]
log = logger(__name__)


@dataclass
class WorkerStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retried": self.retried, "dead": self.dead}


@dataclass
class Worker:
    store: JobStore
    handlers: dict[str, Handler]
    clock: Callable[[], datetime]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 200
    lease: timedelta = timedelta(minutes=5)

    def run_once(self) -> WorkerStats:
        stats = WorkerStats()
        for job in self.store.claim(self.batch, self.clock(), self.lease):
            handler = self.handlers.get(job.type)
            try:
                with consuming(job.type, job.key, _traceparent(job.payload)):
                    if handler is None:
                        raise LookupError(f"no handler for event type {job.type}")
                    handler(job.payload)
            except Exception as exc:  # any failure is recorded, never swallowed
                error = f"{type(exc).__name__}: {exc}"
                decision = self.policy.decide(job.attempts + 1, exc)
                now = self.clock()
                # the key and type only: payloads may name people (DESIGN: ids, never data)
                if decision.dead or isinstance(exc, LookupError):
                    self.store.bury(job.id, now, error)
                    stats.dead += 1
                    log.error("event dead-lettered", key=job.key, type=job.type,
                              attempts=job.attempts + 1, error=type(exc).__name__)
                else:
                    self.store.retry_later(
                        job.id, now, now + timedelta(seconds=decision.delay_seconds), error)
                    stats.retried += 1
                    log.warning("event delivery failed; retry scheduled", key=job.key,
                                type=job.type, attempts=job.attempts + 1,
                                delay_seconds=decision.delay_seconds,
                                error=type(exc).__name__)
            else:
                self.store.complete(job.id, self.clock())
                stats.delivered += 1
                log.debug("event delivered", key=job.key, type=job.type,
                          attempts=job.attempts + 1)
        return stats

    def drain(self, max_rounds: int = 10_000) -> WorkerStats:
        """Deliver everything due now (the in-process worker of the embedded default)."""
        total = WorkerStats()
        for _ in range(max_rounds):
            stats = self.run_once()
            total.delivered += stats.delivered
            total.retried += stats.retried
            total.dead += stats.dead
            if stats.delivered + stats.retried + stats.dead == 0:
                break
        return total


def _traceparent(payload: dict[str, Any]) -> str | None:
    """The creation context stored in the envelope (absent in events queued before it was)."""
    value = payload.get("traceparent") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None
