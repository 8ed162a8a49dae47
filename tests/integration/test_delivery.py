"""The outbox worker and the built-in ledger: retries, dead letters, idempotent posting, and
``SKIP LOCKED`` claiming on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.errors import Permanent, Retryable, UnbalancedJournal
from hourbridge.pipeline.retry import RetryPolicy
from hourbridge.pipeline.worker import Worker
from hourbridge.services.events import JOURNAL_ENTRY_READY, envelope, journal_to_data
from hourbridge.store.jobs import SqlJobStore
from hourbridge.store.ledger import SqlLedger

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _entry(key: str, amount: str = "100.00") -> JournalEntry:
    a = Decimal(amount)
    return JournalEntry(key, "DE", date(2026, 11, 2), "test", "test", key, (
        Posting("1200", a, Decimal(0), "EUR", a),
        Posting("4000", Decimal(0), a, "EUR", -a),
    ))


def _enqueue(hb: Hourbridge, key: str, type_: str = JOURNAL_ENTRY_READY,
             data: dict[str, Any] | None = None) -> None:
    with hb.uow() as uow:
        event = envelope(key, type_, key, data or journal_to_data(_entry(key)), NOW)
        assert uow.outbox.add(key, type_, key, event, NOW)
        assert not uow.outbox.add(key, type_, key, event, NOW)  # same key: kept once
        uow.commit()


def test_ledger_records_a_key_once(hb: Hourbridge) -> None:
    ledger = SqlLedger(hb.engine, lambda: NOW)
    assert ledger.post(_entry("k1")) is True
    assert ledger.post(_entry("k1")) is False
    assert len(hb.queries.journal()) == 1


def test_ledger_refuses_unbalanced_entries(hb: Hourbridge) -> None:
    bad = JournalEntry("bad", "DE", date(2026, 11, 2), "x", "x", "x", (
        Posting("1200", Decimal("1"), Decimal(0), "EUR", Decimal("1")),))
    with pytest.raises(UnbalancedJournal):
        SqlLedger(hb.engine, lambda: NOW).post(bad)
    assert hb.queries.journal() == []


class Flaky:
    """Fails with the given errors, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, payload: dict[str, Any]) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def _worker(hb: Hourbridge, handler: Any, clock: list[datetime], **policy: Any) -> Worker:
    return Worker(SqlJobStore(hb.engine), {JOURNAL_ENTRY_READY: handler}, lambda: clock[0],
                  RetryPolicy(**policy))


def test_retryable_failure_waits_for_backoff_then_delivers(hb: Hourbridge) -> None:
    _enqueue(hb, "r1")
    clock = [NOW]
    handler = Flaky(Retryable("ledger busy", retry_after=30))
    worker = _worker(hb, handler, clock)
    assert worker.drain().as_dict() == {"delivered": 0, "retried": 1, "dead": 0}
    assert worker.drain().as_dict() == {"delivered": 0, "retried": 0, "dead": 0}  # not due
    clock[0] = NOW + timedelta(seconds=31)  # Retry-After honoured: due after 30 s
    assert worker.drain().as_dict() == {"delivered": 1, "retried": 0, "dead": 0}
    assert handler.calls == 2
    assert hb.queries.outbox_counts() == {"done": 1}


def test_permanent_failure_goes_to_dead_letters_with_its_error(hb: Hourbridge) -> None:
    _enqueue(hb, "p1")
    worker = _worker(hb, Flaky(Permanent("account 9999 does not exist")), [NOW])
    assert worker.drain().dead == 1
    [dead] = hb.queries.dead_letters()
    assert dead["key"] == "p1" and "9999" in dead["last_error"]


def test_retries_end_in_dead_letters_after_the_last_attempt(hb: Hourbridge) -> None:
    _enqueue(hb, "m1")
    clock = [NOW]
    worker = _worker(hb, Flaky(*[Retryable("down")] * 5), clock, max_attempts=3,
                     base_seconds=1, cap_seconds=1)
    outcomes = []
    for _ in range(3):
        outcomes.append(worker.drain().as_dict())
        clock[0] += timedelta(seconds=2)
    assert [o["retried"] for o in outcomes] == [1, 1, 0]
    assert outcomes[-1]["dead"] == 1
    assert hb.queries.dead_letters()[0]["attempts"] == 3


def test_unknown_event_type_is_a_dead_letter_not_a_loop(hb: Hourbridge) -> None:
    _enqueue(hb, "u1", type_="hourbridge.unknown.v1", data={"x": 1})
    assert hb.worker.drain().dead == 1


def test_expired_lease_lets_another_worker_rescue_the_job(hb: Hourbridge) -> None:
    _enqueue(hb, "l1")
    store = SqlJobStore(hb.engine)
    [job] = store.claim(10, NOW, timedelta(minutes=5))
    assert store.claim(10, NOW, timedelta(minutes=5)) == []  # leased
    [again] = store.claim(10, NOW + timedelta(minutes=6), timedelta(minutes=5))
    assert again.id == job.id


@pytest.mark.postgres
def test_concurrent_workers_claim_disjoint_jobs(postgres_url: str) -> None:
    from hourbridge.bootstrap import bootstrap
    from hourbridge.config import Settings

    hb = bootstrap(Settings(database_url=postgres_url), clock=lambda: NOW)
    try:
        for i in range(200):
            _enqueue(hb, f"c{i}")
        claimed: list[list[int]] = [[], [], [], []]
        barrier = threading.Barrier(4)

        def claim(slot: int) -> None:
            store = SqlJobStore(hb.engine)
            barrier.wait()
            while jobs := store.claim(7, datetime.now(UTC), timedelta(minutes=5)):
                claimed[slot] += [j.id for j in jobs]

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        everything = [i for part in claimed for i in part]
        assert len(everything) == len(set(everything)) == 200
    finally:
        hb.close()


def test_dead_letters_say_why_they_died(hb: Hourbridge) -> None:
    _enqueue(hb, "why-refused")
    _worker(hb, Flaky(Permanent("account 9999 does not exist")), [NOW]).drain()
    _enqueue(hb, "why-unknown", type_="hourbridge.unknown.v1", data={"x": 1})
    hb.worker.drain()
    _enqueue(hb, "why-exhausted")
    clock = [NOW]
    worker = _worker(hb, Flaky(*[Retryable("down")] * 2), clock, max_attempts=2,
                     base_seconds=1, cap_seconds=1)
    for _ in range(2):
        worker.drain()
        clock[0] += timedelta(seconds=2)
    reasons = {d["key"]: d["reason"] for d in hb.queries.dead_letters()}
    assert reasons == {"why-refused": "refused", "why-unknown": "no_handler",
                       "why-exhausted": "attempts_exhausted"}


class Recording:
    """A handler that notes what it delivered and stops the worker after ``stop_after``."""

    def __init__(self, worker: list[Worker], stop_after: int) -> None:
        self.worker = worker
        self.stop_after = stop_after
        self.seen: list[str] = []

    def __call__(self, payload: dict[str, Any]) -> None:
        self.seen.append(payload["id"])
        if len(self.seen) == self.stop_after:
            self.worker[0].stopping.set()  # SIGTERM arrives while this job runs


def test_a_stopping_worker_finishes_its_job_and_hands_the_rest_back(hb: Hourbridge) -> None:
    for i in range(5):
        _enqueue(hb, f"s{i}")
    holder: list[Worker] = []
    handler = Recording(holder, stop_after=2)
    holder.append(_worker(hb, handler, [NOW]))
    assert holder[0].run_once().delivered == 2  # the job in hand finished
    # the other three are claimable at once by anyone, not after the 5-minute lease
    rest = SqlJobStore(hb.engine).claim(10, NOW, timedelta(minutes=5))
    assert sorted(j.key for j in rest) == ["s2", "s3", "s4"]


def test_the_heartbeat_keeps_the_rest_of_a_batch_leased(hb: Hourbridge) -> None:
    for i in range(3):
        _enqueue(hb, f"h{i}")
    clock = [NOW]
    seen: list[str] = []

    def slow(payload: dict[str, Any]) -> None:  # each job takes 4 minutes of a 5-minute lease
        seen.append(payload["id"])
        clock[0] += timedelta(minutes=4)
        # while this worker is busy, another one polls: nothing of its batch is up for grabs
        assert SqlJobStore(hb.engine).claim(10, clock[0], timedelta(minutes=5)) == []

    worker = Worker(SqlJobStore(hb.engine), {JOURNAL_ENTRY_READY: slow}, lambda: clock[0])
    assert worker.run_once().delivered == 3 and seen == ["h0", "h1", "h2"]


def test_the_heartbeat_keeps_a_job_longer_than_its_lease_leased(hb: Hourbridge) -> None:
    """One delivery outlasts the lease three times over (a slow ERP): the heartbeat thread
    renews it meanwhile, so another worker polling all along never takes it."""
    for i in range(2):
        _enqueue(hb, f"long{i}")
    lease = timedelta(seconds=0.6)
    stolen: list[str] = []

    def slow(payload: dict[str, Any]) -> None:
        other = SqlJobStore(hb.engine)
        end = datetime.now(UTC) + 3 * lease
        while datetime.now(UTC) < end:
            stolen.extend(j.key for j in other.claim(10, datetime.now(UTC), lease))
            threading.Event().wait(0.05)

    worker = Worker(SqlJobStore(hb.engine), {JOURNAL_ENTRY_READY: slow},
                    lambda: datetime.now(UTC), lease=lease)
    assert worker.run_once().delivered == 2
    assert stolen == []
