"""The outbox worker: claim jobs in a short transaction, call the sink outside it, record the
outcome in a second one. Every handler is idempotent (events carry deterministic ids), so a job
rescued from a dead worker may safely run twice.

Leases: a claim leases the batch; a heartbeat thread renews the lease of what the worker still
holds every third of the lease, also while a single job runs longer than the lease, so a job
outlives its lease only if its worker died or hung, and then another worker's claim rescues
it. Stopping (SIGTERM) finishes the job in hand and releases
the rest of the batch at once rather than leaving it to its lease.

Batches: a job type with a batch handler (ERP documents: ``pipeline.sinks.deliver_many``)
gets the claim's consecutive jobs of that type at once and answers each one's outcome; the
delivered ones are completed in one statement.

Relays (NATS JetStream fan-out) see every delivered event after its handler and before the
job is marked done: a crash in between publishes it again under the same message id, which
the relay's de-duplication absorbs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from hourbridge.errors import Permanent
from hourbridge.observability.logging import logger
from hourbridge.observability.tracing import consuming, consuming_batch

from .retry import RetryPolicy

# why a dead letter died (``domain.reasons.DEAD_LETTER_REASONS``): the sink refused it for
# good, it failed every attempt, nothing handles its type, or its webhook subscription was
# disabled (410 Gone) or removed


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    key: str
    type: str
    payload: dict[str, Any]
    attempts: int


class JobStore(Protocol):
    def claim(self, limit: int, now: datetime, lease: timedelta) -> list[Job]: ...
    def renew(self, job_ids: Sequence[int], until: datetime) -> None: ...
    def release(self, job_ids: Sequence[int]) -> None: ...
    def complete(self, job_id: int, now: datetime) -> None: ...
    def complete_many(self, job_ids: Sequence[int], now: datetime) -> None: ...
    def retry_later(self, job_id: int, now: datetime, at: datetime, error: str) -> None: ...
    def bury(self, job_id: int, now: datetime, error: str, reason: str) -> None: ...


Handler = Callable[[dict[str, Any]], object]
# several payloads of one type -> each one's outcome: a result, or the exception it failed with
BatchHandler = Callable[[list[dict[str, Any]]], Sequence[object]]
Relay = Callable[[Job], None]  # publishes a delivered event elsewhere; raises to retry
log = logger(__name__)


@dataclass
class WorkerStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retried": self.retried, "dead": self.dead}

    def add(self, other: WorkerStats) -> None:
        self.delivered += other.delivered
        self.retried += other.retried
        self.dead += other.dead


def dead_reason(exc: BaseException, exhausted: bool) -> str:
    if isinstance(exc, LookupError):
        return "no_handler"
    if isinstance(exc, Permanent):
        return "subscription_disabled" if exc.code == "subscription_disabled" else "refused"
    return "attempts_exhausted" if exhausted else "refused"


@dataclass
class Worker:
    store: JobStore
    handlers: dict[str, Handler]
    clock: Callable[[], datetime]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 200
    lease: timedelta = timedelta(minutes=5)
    relays: Sequence[Relay] = ()
    batch_handlers: dict[str, BatchHandler] = field(default_factory=dict)
    relayed: Callable[[str], bool] = lambda type_: True  # which job types the relays see
    stopping: threading.Event = field(default_factory=threading.Event)

    def _run(self, job: Job) -> None:
        handler = self.handlers.get(job.type)
        if handler is None:
            raise LookupError(f"no handler for event type {job.type}")
        handler(job.payload)
        if self.relayed(job.type):
            for relay in self.relays:
                relay(job)

    def run_once(self, batch: int | None = None) -> WorkerStats:
        stats = WorkerStats()
        jobs = self.store.claim(batch or self.batch, self.clock(), self.lease)
        if not jobs:
            return stats
        held = [0]  # index of the first job not finished: jobs[held[0]:] are still ours
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(jobs, held, done),
                                name="worker-heartbeat", daemon=True)
        beat.start()
        try:
            self._work(jobs, held, stats)
        finally:
            done.set()
            beat.join()
        return stats

    def _heartbeat(self, jobs: Sequence[Job], held: list[int], done: threading.Event) -> None:
        """Renew the lease of what this worker still holds every third of the lease, also
        while one job runs longer than the lease (a slow ERP): one UPDATE per beat, not one
        per delivery."""
        while not done.wait(self.lease.total_seconds() / 3):
            rest = [j.id for j in jobs[held[0]:]]
            if rest:
                try:
                    self.store.renew(rest, self.clock() + self.lease)
                except Exception as exc:  # the next beat tries again; the lease is the limit
                    log.warning("lease renewal failed", error=type(exc).__name__)

    def _work(self, jobs: list[Job], held: list[int], stats: WorkerStats) -> None:
        until = self.clock() + self.lease
        n = 0
        while n < len(jobs):
            held[0] = n
            if self.stopping.is_set():  # SIGTERM: hand back what was not started
                self.store.release([j.id for j in jobs[n:]])
                break
            # between jobs, by the worker's clock: the rest of the batch stays ours once half
            # the lease is spent (the heartbeat thread covers a single job longer than that)
            if self.clock() + self.lease / 2 > until:
                until = self.clock() + self.lease
                self.store.renew([j.id for j in jobs[n:]], until)
            job = jobs[n]
            if job.type in self.batch_handlers:
                end = n
                while end < len(jobs) and jobs[end].type == job.type:
                    end += 1
                self._work_batch(jobs[n:end], stats)
                n = end
                continue
            try:
                with consuming(job.type, job.key, _traceparent(job.payload)):
                    self._run(job)
            except Exception as exc:  # any failure is recorded, never swallowed
                self._failed(job, exc, stats)
            else:
                self.store.complete(job.id, self.clock())
                stats.delivered += 1
                log.debug("event delivered", key=job.key, type=job.type,
                          attempts=job.attempts + 1)
            n += 1
        held[0] = len(jobs)

    def _work_batch(self, jobs: list[Job], stats: WorkerStats) -> None:
        """Jobs of one type to its batch handler at once; each outcome recorded, the
        delivered ones in one statement."""
        type_ = jobs[0].type
        with consuming_batch(type_, [(j.key, _traceparent(j.payload)) for j in jobs]):
            try:
                outcomes = list(self.batch_handlers[type_]([j.payload for j in jobs]))
                if len(outcomes) != len(jobs):
                    raise RuntimeError(f"{len(outcomes)} outcomes for {len(jobs)} jobs")
            except Exception as exc:  # the handler itself failed: every job failed with it
                outcomes = [exc] * len(jobs)
        delivered = []
        for job, outcome in zip(jobs, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._failed(job, outcome, stats)
                continue
            try:
                if self.relayed(job.type):
                    for relay in self.relays:
                        relay(job)
            except Exception as exc:
                self._failed(job, exc, stats)
                continue
            delivered.append(job.id)
        if delivered:
            self.store.complete_many(delivered, self.clock())
            stats.delivered += len(delivered)
            log.debug("events delivered", type=type_, count=len(delivered))

    def _failed(self, job: Job, exc: BaseException, stats: WorkerStats) -> None:
        error = f"{type(exc).__name__}: {exc}"
        decision = self.policy.decide(job.attempts + 1, exc)
        now = self.clock()
        # the key and type only: payloads may name people (DESIGN: ids, never data)
        if decision.dead or isinstance(exc, LookupError):
            self.store.bury(job.id, now, error, dead_reason(
                exc, exhausted=not isinstance(exc, Permanent)))
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

    def drain(self, max_rounds: int = 10_000, batch: int | None = None) -> WorkerStats:
        """Deliver everything due now (the in-process worker of the embedded default)."""
        total = WorkerStats()
        for _ in range(max_rounds):
            stats = self.run_once(batch)
            total.add(stats)
            if stats.delivered + stats.retried + stats.dead == 0 or self.stopping.is_set():
                break
        return total


def _traceparent(payload: dict[str, Any]) -> str | None:
    """The creation context stored in the envelope (absent in events queued before it was)."""
    value = payload.get("traceparent") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None
