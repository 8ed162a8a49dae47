"""Outbound webhooks through the outbox against a loopback receiver: signed deliveries, the
same webhook-id on every retry, Retry-After, 410 disabling the subscription, secrets
encrypted at rest; dead letters replayed under their original key, audited, once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.connectors.webhooks import new_secret
from hourbridge.domain import commands as c
from hourbridge.domain.ledger import JournalEntry, Posting
from hourbridge.errors import Conflict, InvalidInput
from hourbridge.pipeline.retry import RetryPolicy
from hourbridge.services.events import JOURNAL_ENTRY_READY
from hourbridge.services.journal import publish_journal
from hourbridge.store import tables as t
from support.webhook_receiver import Receiver, webhook_receiver

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SECRET = new_secret()


class Clock:
    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(database_url: str, clock: Clock) -> Iterator[Hourbridge]:
    hb = bootstrap(Settings(database_url=database_url,
                            secret_key=Fernet.generate_key().decode()), clock=clock,
                   retry_policy=RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=1),
                   relays=[])
    yield hb
    hb.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver(SECRET) as r:
        yield r


def _entry(key: str) -> JournalEntry:
    a = Decimal("250.00")
    return JournalEntry(key, "DE", date(2026, 11, 2), "test", "test", key, (
        Posting("1200", a, Decimal(0), "EUR", a), Posting("4000", Decimal(0), a, "EUR", -a)))


def _publish(hb: Hourbridge, key: str) -> bool:
    with hb.uow() as uow:
        added = publish_journal(uow, key, f"journal/{key}", _entry(key), hb.clock())
        uow.commit()
    return added


def _subscribe(hb: Hourbridge, url: str, *types: str) -> None:
    hb.handle(c.AddWebhook("erp-hook", url, types or (JOURNAL_ENTRY_READY,), SECRET))


def test_each_event_is_delivered_signed_with_its_event_id(app: Hourbridge,
                                                          receiver: Receiver) -> None:
    _subscribe(app, receiver.url)
    assert _publish(app, "je-1") and _publish(app, "je-2")
    assert not _publish(app, "je-1")  # same key: no second event, no second delivery
    stats = app.worker.drain()
    assert stats.as_dict() == {"delivered": 4, "retried": 0, "dead": 0}  # 2 ledger + 2 hooks
    assert sorted(receiver.applied) == ["je-1", "je-2"]
    assert all(d.signed for d in receiver.raw) and len(receiver.raw) == 2
    body = json.loads(receiver.applied["je-1"].body)
    assert body["specversion"] == "1.0" and body["id"] == "je-1"
    assert body["type"] == JOURNAL_ENTRY_READY and body["data"]["key"] == "je-1"
    assert receiver.applied["je-1"].timestamp == int(NOW.timestamp())
    assert len(app.queries.journal()) == 2  # the ledger still gets its postings


def test_a_retry_carries_the_same_webhook_id_after_retry_after(
        app: Hourbridge, receiver: Receiver, clock: Clock) -> None:
    receiver.answer = lambda msg_id, n: (503, {"Retry-After": "120"}) if n == 0 else (204, {})
    _subscribe(app, receiver.url)
    _publish(app, "je-r")
    assert app.worker.drain().retried == 1
    clock.at = NOW + timedelta(seconds=60)
    assert app.worker.drain().as_dict() == {"delivered": 0, "retried": 0, "dead": 0}
    clock.at = NOW + timedelta(seconds=121)  # Retry-After (120 s) honoured
    assert app.worker.drain().delivered == 1
    assert [d.msg_id for d in receiver.raw] == ["je-r", "je-r"]
    assert receiver.raw[1].timestamp > receiver.raw[0].timestamp  # signed afresh per attempt
    assert list(receiver.applied) == ["je-r"]
    log = app.queries.webhook_deliveries("erp-hook")  # newest first
    assert [(d["webhook_id"], d["status"], d["outcome"]) for d in log] == [
        ("je-r", 204, "delivered"), ("je-r", 503, "retry")]


def test_410_gone_disables_the_subscription(app: Hourbridge, receiver: Receiver) -> None:
    receiver.answer = lambda msg_id, n: (410, {})
    _subscribe(app, receiver.url)
    _publish(app, "je-g")
    assert app.worker.drain().dead == 1
    [dead] = app.queries.dead_letters()
    assert dead["key"] == "webhook:erp-hook:je-g" and dead["reason"] == "subscription_disabled"
    [sub] = app.handle(c.ListWebhooks())
    assert sub["status"] == "disabled" and "410" in sub["disabled_reason"]
    [logged] = app.queries.webhook_deliveries("erp-hook")
    assert (logged["status"], logged["outcome"]) == (410, "gone")
    _publish(app, "je-h")  # a disabled subscription gets no new deliveries
    app.worker.drain()
    assert len(receiver.raw) == 1


def test_only_subscribed_types_are_sent(app: Hourbridge, receiver: Receiver) -> None:
    _subscribe(app, receiver.url, "hourbridge.invoice.issued.v1")
    _publish(app, "je-x")
    assert app.worker.drain().delivered == 1  # the ledger posting only
    assert receiver.raw == []


def test_the_secret_is_kept_encrypted_and_never_listed(app: Hourbridge,
                                                       receiver: Receiver) -> None:
    _subscribe(app, receiver.url)
    with app.engine.connect() as conn:
        stored = conn.execute(select(t.webhook_subscriptions.c.secret)).scalar_one()
    assert SECRET not in stored and SECRET[6:] not in stored
    assert SECRET not in json.dumps(app.handle(c.ListWebhooks()))
    with pytest.raises(Conflict):
        _subscribe(app, receiver.url)


def test_a_made_secret_is_shown_once_and_signs(app: Hourbridge, receiver: Receiver) -> None:
    shown = app.handle(c.AddWebhook("made", receiver.url, ("*",)))
    receiver.secret = shown["secret"]
    result = app.handle(c.TestWebhook("made"))
    assert result["status"] == 204 and receiver.raw[0].signed
    assert json.loads(receiver.raw[0].body)["type"] == "hourbridge.webhook.test.v1"


def test_plain_http_off_loopback_is_refused(app: Hourbridge) -> None:
    with pytest.raises(InvalidInput, match="https"):
        app.handle(c.AddWebhook("far", "http://example.com/hook", ("*",), SECRET))


def test_dead_letter_replay_delivers_once_under_the_original_id_and_is_audited(
        app: Hourbridge, receiver: Receiver, clock: Clock) -> None:
    broken = {"on": True}
    receiver.answer = lambda msg_id, n: (500, {}) if broken["on"] else (204, {})
    _subscribe(app, receiver.url)
    _publish(app, "je-d")
    for _ in range(3):  # max_attempts=3
        app.worker.drain()
        clock.at += timedelta(seconds=2)
    [dead] = app.queries.dead_letters(reason="attempts_exhausted")
    assert app.queries.dead_letters(reason="refused") == []
    broken["on"] = False  # the receiver is fixed
    result = app.handle(c.ReplayDeadLetters(reason="attempts_exhausted", by="ops@firm",
                                            note="receiver fixed"))
    assert result["replayed"] == [dead["id"]]
    again = app.handle(c.ReplayDeadLetters(ids=(dead["id"],), by="ops@firm"))
    assert again == {**again, "replayed": [], "not_dead": [dead["id"]]}  # not dead any more
    assert app.worker.drain().delivered == 1
    assert {d.msg_id for d in receiver.raw} == {"je-d"} and len(receiver.raw) == 4
    assert list(receiver.applied) == ["je-d"]
    shown = app.queries.dead_letter(dead["id"])
    assert shown is not None and shown["status"] == "done" and shown["key"] == dead["key"]
    [audit] = shown["replays"]
    assert audit["replayed_by"] == "ops@firm" and audit["note"] == "receiver fixed"
    assert audit["dead_reason"] == "attempts_exhausted" and "500" in audit["last_error"]


def test_replay_needs_a_selection_and_a_known_reason(app: Hourbridge) -> None:
    with pytest.raises(InvalidInput, match="name the dead letters"):
        app.handle(c.ReplayDeadLetters(by="ops"))
    with pytest.raises(InvalidInput, match="not a dead-letter reason"):
        app.handle(c.ReplayDeadLetters(reason="because", by="ops"))


def test_concurrent_replays_revive_a_dead_letter_once(app: Hourbridge,
                                                      receiver: Receiver) -> None:
    receiver.answer = lambda msg_id, n: (410, {})
    _subscribe(app, receiver.url)
    _publish(app, "je-c")
    app.worker.drain()
    [dead] = app.queries.dead_letters()
    results: list[list[int]] = []
    barrier = threading.Barrier(4)

    def replay(n: int) -> None:
        barrier.wait()
        for _ in range(5):  # a lost race on SQLite's one writer is retried, as the CLI does
            try:
                results.append(app.handle(c.ReplayDeadLetters(
                    ids=(dead["id"],), by=f"op{n}"))["replayed"])
                return
            except Exception:
                continue

    threads = [threading.Thread(target=replay, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(len(r) for r in results) == 1
    shown = app.queries.dead_letter(dead["id"])
    assert shown is not None and len(shown["replays"]) == 1
