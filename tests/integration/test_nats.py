"""JetStream fan-out from the outbox relay, against the real nats-server
(``HOURBRIDGE_TEST_NATS_URL``; ``.ci/run`` starts one with JetStream). Without the URL these
skip with the reason; in CI (``CI=true``) a NATS test that cannot connect fails."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.nats import JetStreamRelay
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.errors import Retryable
from hourbridge.pipeline.worker import Job, Worker
from hourbridge.services.events import JOURNAL_ENTRY_READY
from hourbridge.services.journal import publish_journal
from hourbridge.store.jobs import SqlJobStore

NATS_ENV = "HOURBRIDGE_TEST_NATS_URL"
pytestmark = pytest.mark.nats
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def nats_url() -> str:
    url = os.environ.get(NATS_ENV)
    in_ci = os.environ.get("CI", "").lower() == "true"
    if not url:
        if in_ci:
            pytest.fail(f"NATS required in CI: set {NATS_ENV}")
        pytest.skip(f"set {NATS_ENV} to run the NATS JetStream tests")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 3
                                 ).close()
    except OSError as exc:
        if in_ci:
            pytest.fail(f"NATS required in CI: cannot reach {url}: {exc}")
        pytest.skip(f"cannot reach NATS at {url}: {exc}")
    return url


async def _stream_messages(url: str, stream: str) -> list[Any]:
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        msgs = [await js.get_msg(stream, seq) for seq in
                range(info.state.first_seq, info.state.last_seq + 1)] if info.state.messages \
            else []
        return msgs
    finally:
        await nc.close()


async def _delete_stream(url: str, stream: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        await nc.jetstream().delete_stream(stream)
    finally:
        await nc.close()


@pytest.fixture
def relay(nats_url: str) -> Iterator[JetStreamRelay]:
    tag = uuid.uuid4().hex[:10]  # a stream and subjects of its own per test
    r = JetStreamRelay(nats_url, stream=f"HBTEST_{tag}", prefix=f"t{tag}.")
    yield r
    r.close()
    asyncio.run(_delete_stream(nats_url, r.stream))


@pytest.fixture
def app(tmp_path: Any, relay: JetStreamRelay) -> Iterator[Hourbridge]:
    hb = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/hb.db"), clock=lambda: NOW,
                   relays=[relay])
    yield hb
    hb.worker.relays = []  # the relay fixture closes it
    hb.close()


def _publish(hb: Hourbridge, key: str) -> None:
    a = Decimal("10.00")
    entry = JournalEntry(key, "DE", date(2026, 11, 2), "t", "t", key, (
        Posting("1200", a, Decimal(0), "EUR", a), Posting("4000", Decimal(0), a, "EUR", -a)))
    with hb.uow() as uow:
        publish_journal(uow, key, f"journal/{key}", entry, NOW)
        uow.commit()


def test_each_event_is_published_on_its_type_subject_with_its_key(
        app: Hourbridge, relay: JetStreamRelay) -> None:
    for k in ("je-1", "je-2", "je-3"):
        _publish(app, k)
    assert app.worker.drain().delivered == 3
    msgs = asyncio.run(_stream_messages(relay.url, relay.stream))
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == ["je-1", "je-2", "je-3"]
    assert {m.subject for m in msgs} == {relay.prefix + JOURNAL_ENTRY_READY}
    event = json.loads(msgs[0].data)
    assert event["specversion"] == "1.0" and event["id"] == "je-1"
    assert msgs[0].headers["content-type"] == "application/cloudevents+json"


class CrashOnComplete:
    """The job store of a worker killed after the publish was acknowledged and before the
    outbox row was marked sent."""

    def __init__(self, store: SqlJobStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def complete(self, job_id: int, now: datetime) -> None:
        raise SystemExit("killed between the ack and marking the row sent")


def test_a_republish_after_a_crash_is_deduplicated(app: Hourbridge,
                                                   relay: JetStreamRelay) -> None:
    _publish(app, "je-crash")
    crashed = Worker(CrashOnComplete(SqlJobStore(app.engine)), app.worker.handlers,
                     lambda: NOW, relays=[relay])
    with pytest.raises(SystemExit):
        crashed.run_once()
    assert app.queries.outbox_counts() == {"pending": 1}  # not marked sent
    # another worker (a fresh process: its own connection) rescues it after the lease
    second = JetStreamRelay(relay.url, stream=relay.stream, prefix=relay.prefix)
    try:
        rescuer = Worker(SqlJobStore(app.engine), app.worker.handlers,
                         lambda: NOW + timedelta(minutes=6), relays=[second])
        assert rescuer.drain().delivered == 1
    finally:
        second.close()
    msgs = asyncio.run(_stream_messages(relay.url, relay.stream))
    assert [m.headers["Nats-Msg-Id"] for m in msgs] == ["je-crash"]  # one message, not two
    assert app.queries.outbox_counts() == {"done": 1}
    assert len(app.queries.journal()) == 1


def test_no_ack_leaves_the_row_pending_for_a_retry(nats_url: str) -> None:
    dead = JetStreamRelay("nats://127.0.0.1:9", stream="HBTEST_NONE")  # nothing listens
    try:
        with pytest.raises(Retryable, match="cannot connect"):
            dead(Job(1, "k", JOURNAL_ENTRY_READY, {"id": "k"}, 0))
    finally:
        dead.close()
