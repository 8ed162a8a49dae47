"""Workers under kill -9 (issue 12 item 8): several ``hourbridge worker`` processes on one
database (PostgreSQL: three of two threads each; SQLite: two of one thread, taking turns at
the one write lock) deliver journal events to the ledger and to a webhook receiver; one is
killed with SIGKILL mid-delivery. Every event arrives, none is applied twice by a receiver that
de-duplicates by webhook-id; the raw deliveries show the at-least-once rest (a job the dead
worker had sent but not yet marked sent goes out again once its lease runs out)."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.webhooks import new_secret
from hourbridge.domain import commands as c
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.services.events import JOURNAL_ENTRY_READY
from hourbridge.services.journal import publish_journal
from hourbridge.store import tables as t
from support.fault import Firm, figure
from support.webhook_receiver import webhook_receiver

EVENTS = 400
LEASE_SECONDS = 3
# seconds the receiver holds each request: long beside a worker's own database work, so the
# moment every worker thread is inside a delivery comes soon even on a loaded machine
DELAY = {"postgres": 0.15, "sqlite": 0.08}


def _entry(key: str) -> JournalEntry:
    a = Decimal("125.00")
    return JournalEntry(key, "DE", date(2026, 11, 2), "fault", "fault", key, (
        Posting("1200", a, Decimal(0), "EUR", a), Posting("4000", Decimal(0), a, "EUR", -a)))


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
def test_kill_9_of_one_worker_loses_nothing_and_applies_nothing_twice(
        database: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{tmp_path}/workers.db" if database == "sqlite"
           else str(request.getfixturevalue("postgres_url")))
    workers_n, concurrency = (3, 2) if database == "postgres" else (2, 1)
    threads = workers_n * concurrency
    key = Fernet.generate_key().decode()
    secret = new_secret()
    firm = Firm(url, tmp_path)
    firm.env.update({"HOURBRIDGE_SECRET_KEY": key,
                     "HOURBRIDGE_WORKER_LEASE_SECONDS": str(LEASE_SECONDS)})
    with webhook_receiver(secret, delay=DELAY[database]) as receiver:
        hb = bootstrap(Settings(database_url=url, secret_key=key), relays=[])
        try:
            hb.handle(c.AddWebhook("erp", receiver.url, (JOURNAL_ENTRY_READY,), secret))
            now = datetime.now(UTC)
            with hb.uow() as uow:
                for i in range(EVENTS):
                    publish_journal(uow, f"je-{i}", f"journal/je-{i}", _entry(f"je-{i}"), now)
                uow.commit()
            workers = [firm.start("worker", "--concurrency", str(concurrency), "--batch", "5",
                                  "--interval", "0.2") for _ in range(workers_n)]
            deadline = time.monotonic() + 180
            # kill once a quarter is delivered and every worker thread is inside a delivery
            # (the receiver holds each request DELAY s): the victim dies mid-request
            while time.monotonic() < deadline and not (
                    len(receiver.raw) >= EVENTS // 4 and receiver.inflight >= threads):
                time.sleep(0.002)
            with hb.engine.connect() as conn:  # jobs under a live lease: some are the victim's
                held = conn.execute(select(func.count()).select_from(t.outbox).where(
                    t.outbox.c.status == "pending", t.outbox.c.lease_until.is_not(None))
                ).scalar_one()
            in_flight = receiver.inflight
            victim = workers[0]
            victim.send_signal(signal.SIGKILL)
            victim.communicate(timeout=30)
            killed_at = len(receiver.raw)
            deadline = time.monotonic() + 300  # generous: CI machines are shared
            while time.monotonic() < deadline:
                counts = hb.queries.outbox_counts()
                if counts.get("pending", 0) == 0:
                    break
                time.sleep(0.2)
            survivors = workers[1:]
            for w in survivors:  # SIGTERM: finish the job in hand, hand the rest back, stop
                w.send_signal(signal.SIGTERM)
            codes = [w.wait(timeout=60) for w in survivors]
            for w in survivors:
                w.communicate(timeout=10)
            counts = hb.queries.outbox_counts()
            with hb.engine.connect() as conn:
                ledger = conn.execute(select(func.count()).select_from(t.journal_entries)
                                      ).scalar_one()
        finally:
            hb.close()
    applied, raw = len(receiver.applied), len(receiver.raw)
    twice = sum(1 for n in receiver.acked.values() if n > 1)
    figure(f"kill -9 of 1 of {workers_n} workers ({database}, {concurrency} thread(s) each, "
           f"{EVENTS} events to a webhook "
           f"and the ledger, killed after {killed_at} deliveries, {in_flight} in flight, "
           f"{held} jobs leased): lost {EVENTS - applied}, ledger entries {ledger}; raw "
           f"deliveries {raw} ({raw - EVENTS} sent again, {twice} acknowledged twice, each "
           "applied once by webhook-id: at least once)")
    assert victim.returncode == -signal.SIGKILL
    assert codes == [0] * len(survivors), "a SIGTERMed worker did not stop cleanly"
    assert counts == {"done": 2 * EVENTS}, counts  # the ledger posting and the webhook each
    assert applied == EVENTS and set(receiver.applied) == {f"je-{i}" for i in range(EVENTS)}
    assert all(d.signed for d in receiver.raw)
    # killed inside a delivery: what it had sent but not marked sent went out again
    assert raw > EVENTS, "the kill missed every delivery in flight"
    assert ledger == EVENTS  # the ledger records a key once however often it is posted


def test_worker_on_sqlite_says_it_delivers_with_one_thread(tmp_path: Path) -> None:
    firm = Firm(f"sqlite:///{tmp_path}/one.db", tmp_path)
    firm.cli("db", "upgrade")
    done: subprocess.CompletedProcess[str] = firm.cli("worker", "--once", "--concurrency", "4")
    assert "SQLite has one writer: delivering with one thread" in done.stdout
    assert "delivered 0" in done.stdout
