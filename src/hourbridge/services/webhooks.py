"""Outbound webhooks (issue 12 item 4): subscriptions per event type, and delivery through the
outbox.

Publishing an event (``journal.publish_journal``) adds, in the same transaction, one outbox job per
active subscription that wants its type, keyed ``webhook:<subscription>:<event id>``; the
worker delivers it with ``deliver_webhook``. The ``webhook-id`` is the event id, the same on
every retry and every replay, so a receiver that de-duplicates on it (as Standard Webhooks
asks) applies each event once although delivery is at least once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.webhooks import refused_subscription
from hourbridge.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    Permanent,
    Retryable,
    SubscriptionGone,
)

from .deps import Collaborators
from .events import envelope
from .ports.uow import UnitOfWork
from .ports.webhooks import ANY_TYPE, Subscription, WebhookGateway

WEBHOOK_DELIVERY = "hourbridge.webhook.delivery.v1"  # outbox job type, never published
WEBHOOK_TEST = "hourbridge.webhook.test.v1"


def _gateway(deps: Collaborators) -> WebhookGateway:
    if deps.webhooks is None:
        raise Permanent("outbound webhooks are not configured")
    return deps.webhooks


KEY_LIMIT = 200  # the outbox key column


def delivery_key(subscription: str, event_id: str) -> str:
    """The delivery job's outbox key: deterministic, so publishing twice queues it once; an
    event id too long to fit is replaced by its SHA-256 (the payload keeps the id itself)."""
    key = f"webhook:{subscription}:{event_id}"
    if len(key) > KEY_LIMIT:
        key = f"webhook:{subscription}:sha256:{hashlib.sha256(event_id.encode()).hexdigest()}"
    return key


def delivery_rows(uow: UnitOfWork, events: Sequence[Mapping[str, Any]]
                  ) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``enqueue_deliveries`` for a batch of events: the subscriptions read once, the outbox
    rows (key, type, subject, payload) returned for one bulk add, in event order."""
    subs = uow.webhooks.all()
    return [(delivery_key(sub.name, str(event["id"])), WEBHOOK_DELIVERY, sub.name,
             {"subscription": sub.name, "event": dict(event)})
            for event in events for sub in subs if sub.wants(str(event["type"]))]


def enqueue_deliveries(uow: UnitOfWork, event: Mapping[str, Any], now: datetime) -> int:
    """One delivery job per active subscription wanting ``event``'s type; how many."""
    added = 0
    for sub in uow.webhooks.all():
        if sub.wants(str(event["type"])):
            added += uow.outbox.add(delivery_key(sub.name, str(event["id"])),
                                    WEBHOOK_DELIVERY, sub.name,
                                    {"subscription": sub.name, "event": dict(event)}, now)
    return added


def _view(sub: Subscription) -> dict[str, Any]:
    return {"name": sub.name, "url": sub.url, "event_types": list(sub.event_types),
            "status": sub.status, "disabled_reason": sub.disabled_reason,
            "created_at": sub.created_at.isoformat() if sub.created_at else None,
            "disabled_at": sub.disabled_at.isoformat() if sub.disabled_at else None}


def add_webhook(cmd: c.AddWebhook, uow: UnitOfWork, now: datetime,
                deps: Collaborators) -> dict[str, Any]:
    gateway = _gateway(deps)
    refusal = refused_subscription(cmd.name, cmd.event_types, cmd.secret)
    if refusal:
        raise InvalidInput(refusal)
    gateway.check_url(cmd.url)
    secret = cmd.secret or gateway.new_secret()
    sub = Subscription(cmd.name, cmd.url, tuple(sorted(set(cmd.event_types))),
                       gateway.seal(secret), created_at=now)
    with uow:
        if not uow.webhooks.add(sub, now):
            raise Conflict(f"a webhook named {cmd.name!r} exists", reason="name_taken")
        uow.commit()
    view = _view(sub)
    if not cmd.secret:  # made here: the only time it is shown
        view["secret"] = secret
    return view


def list_webhooks(cmd: c.ListWebhooks, uow: UnitOfWork, now: datetime,
                  deps: Collaborators) -> list[dict[str, Any]]:
    with uow:
        return [_view(s) for s in uow.webhooks.all()]


def remove_webhook(cmd: c.RemoveWebhook, uow: UnitOfWork, now: datetime,
                   deps: Collaborators) -> dict[str, Any]:
    with uow:
        if not uow.webhooks.remove(cmd.name):
            raise NotFound("webhook", cmd.name)
        uow.commit()
    # deliveries already queued die as subscription_disabled when the worker reaches them
    return {"name": cmd.name, "removed": True}


def test_webhook(cmd: c.TestWebhook, uow: UnitOfWork, now: datetime,
                 deps: Collaborators) -> dict[str, Any]:
    gateway = _gateway(deps)
    with uow:
        sub = uow.webhooks.get(cmd.name)
    if sub is None:
        raise NotFound("webhook", cmd.name)
    event_id = f"test:{cmd.name}:{now.strftime('%Y%m%dT%H%M%S%fZ')}"
    event = envelope(event_id, WEBHOOK_TEST, f"webhook/{cmd.name}", {"webhook": cmd.name},
                     now)
    status = gateway.send(sub, event_id, event)
    return {"name": cmd.name, "webhook_id": event_id, "status": status}


def deliver_webhook(job: Mapping[str, Any], uow_factory: Callable[[], UnitOfWork],
                    gateway: WebhookGateway, clock: Callable[[], datetime]) -> bool:
    """The worker's handler for a ``WEBHOOK_DELIVERY`` job. A 410 disables the subscription
    (and the job dies as ``subscription_disabled``); other failures go back to the retry
    policy."""
    name = str(job["subscription"])
    event = job["event"]
    with uow_factory() as uow:
        sub = uow.webhooks.get(name)
    if sub is None or sub.status != "active":
        raise SubscriptionGone(f"webhook {name} is {'removed' if sub is None else 'disabled'}")
    msg_id = str(event["id"])
    try:
        status = gateway.send(sub, msg_id, event)
    except SubscriptionGone as exc:
        with uow_factory() as uow:
            uow.webhooks.disable(name, str(exc), clock())
            uow.webhooks.log(name, msg_id, 410, "gone", str(exc), clock())
            uow.commit()
        raise
    except Retryable as exc:
        _log(uow_factory, name, msg_id, getattr(exc, "status", None), "retry", str(exc),
             clock())
        raise
    _log(uow_factory, name, msg_id, status, "delivered", None, clock())
    return True


def _log(uow_factory: Callable[[], UnitOfWork], name: str, msg_id: str, status: int | None,
         outcome: str, error: str | None, now: datetime) -> None:
    with uow_factory() as uow:
        uow.webhooks.log(name, msg_id, status, outcome, error, now)
        uow.commit()


__all__ = ["ANY_TYPE", "WEBHOOK_DELIVERY", "WEBHOOK_TEST", "add_webhook", "deliver_webhook",
           "delivery_rows", "enqueue_deliveries", "list_webhooks", "remove_webhook", "test_webhook"]
