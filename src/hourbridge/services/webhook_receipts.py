"""Webhooks in (issue 11 item 4): a tracker's delivery taken through the one intake.

The gateway verifies the signature over the raw bytes first (``SignatureRefused``: nothing
is kept, the API answers 401). A ping is answered with its handshake and not stored. Any
other delivery is a payload of the connection's tracker: kept verbatim in the inbox under
the tracker's media type, its rows mapped through the connection's aliases like a synced
page; so a crash after it was kept is recovered like any intake (``inbox retry``, the worker,
or the tracker's own retry of the same bytes).

Refused deliveries (a bad or missing signature, a replay outside the window, a body the
tracker's format cannot read) are kept in quarantine for audit: the body, the headers without
any secret, the reason code and the time, in their own transaction; never processed.

Replays: a delivery id already recorded is a duplicate and adds nothing. The id is recorded
only after the intake finished, so a delivery whose intake crashed is taken when it comes
again; a replay racing the first copy finds the same bytes in the inbox and waits for it,
and the same entry revision is ``unchanged`` whatever bytes carry it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.errors import (
    NotFound,
    Permanent,
    SignatureRefused,
    UnreadablePayload,
    WebhookMalformed,
)

from .connections import stored_connection, tracker_gateway
from .deps import Collaborators
from .intake import ingest
from .intake_kinds import TIME
from .ports import UnitOfWork
from .ports.connections import WEBHOOK_SECRET_PART as SECRET_PART

# header names whose values are credentials: kept in quarantine by name only
_SECRET_WORDS = ("signature", "authorization", "cookie", "token", "secret", "key", "auth")
REMOVED = "<removed>"


def without_secrets(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The delivery's headers for the audit: a credential's value is never kept."""
    return {name: REMOVED if any(w in name.lower() for w in _SECRET_WORDS) else value
            for name, value in headers}


def _quarantine(uow: UnitOfWork, connection: str, reason: str, detail: str,
                cmd: c.ReceiveWebhook, now: datetime) -> int:
    with uow:
        qid = uow.webhook_receipts.quarantine(connection, reason, detail,
                                              without_secrets(cmd.headers), cmd.body, now)
        uow.commit()
    return qid


def set_webhook_secret(cmd: c.SetWebhookSecret, uow: UnitOfWork, now: datetime,
                       deps: Collaborators) -> dict[str, Any]:
    record = stored_connection(uow, cmd.name)
    secret = dict(cmd.secret.parts).get(SECRET_PART, "").strip()
    if not secret:
        raise Permanent("the webhook secret is empty")
    sealed = tracker_gateway(deps).reseal(record, {SECRET_PART: secret})
    with uow:
        if not uow.connections.reseal(record.name, sealed):
            raise NotFound("connection", record.name)
        uow.commit()
    return {"name": record.name, "webhook_secret": "set"}


def receive_webhook(cmd: c.ReceiveWebhook, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> dict[str, Any]:
    record = stored_connection(uow, cmd.connection)
    try:
        delivery = tracker_gateway(deps).open_delivery(record, dict(cmd.headers), cmd.body,
                                                       now)
        if delivery.payload is not None:
            for _ in delivery.payload.rows():
                pass  # read whole before anything is kept: a malformed body is never processed
    except SignatureRefused as exc:
        _quarantine(uow, record.name, exc.code, str(exc), cmd, now)
        raise
    except UnreadablePayload as exc:
        qid = _quarantine(uow, record.name, WebhookMalformed.code, str(exc), cmd, now)
        raise WebhookMalformed(f"the delivery is not a {record.tracker} payload (kept in "
                               f"quarantine as {qid}): {exc}") from None
    if delivery.handshake is not None or delivery.payload is None:
        return {"handshake": delivery.handshake or {}, "duplicate_delivery": False}
    with uow:
        seen = uow.webhook_receipts.seen(record.name, delivery.delivery_id)
    if seen:
        return {"delivery_id": delivery.delivery_id, "duplicate_delivery": True}
    report = ingest(TIME, record.name, delivery.payload, uow, now, deps.validator)
    with uow:
        uow.webhook_receipts.record(record.name, delivery.delivery_id, report.inbox_id, now)
        uow.commit()
    return {"delivery_id": delivery.delivery_id, "duplicate_delivery": False,
            **report.as_dict()}
