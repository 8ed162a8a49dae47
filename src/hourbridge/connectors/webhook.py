"""Webhooks in (issue 11 item 4): what a tracker declares about the deliveries it signs, and
their verification. A tracker folder declares a ``Webhook`` value; nothing here knows a
tracker by name.

Two schemes are documented by the trackers:

* Toggl Track (``toggl/toggl_api_docs`` ``webhooks.md``; samples/toggl): the header
  ``X-Webhook-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw request body keyed
  with the subscription's secret (UTF-8). A new subscription is validated by a PING event;
  when it carries a ``validation_code`` the receiver answers ``{"validation_code": ...}``.
* Clockify (samples/clockify, CODE-tagged: header names seen in public receivers; the
  marketplace docs name ``clockify-signature``): ``Clockify-Signature`` carries the webhook's
  own ``authToken``, given once when the webhook is created. It is a shared token, not an
  HMAC: it is compared as it is.

Both comparisons use ``hmac.compare_digest`` over bytes, before the body is parsed at all.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hourbridge.errors import SignatureRefused, WebhookReplayed


class SignatureScheme(enum.Enum):
    HMAC_SHA256_HEX = "hmac_sha256_hex"  # header = prefix + hex(HMAC-SHA256(secret, body))
    SHARED_TOKEN = "shared_token"  # header = the stored token itself


@dataclass(frozen=True, slots=True)
class Webhook:
    """How a tracker signs its deliveries and where a delivery says what it is.

    ``delivery_id`` is the body field naming the delivery (``None``: the tracker sends none,
    so the body's SHA-256 names it); ``sent_at`` the signed instant the replay ``window`` is
    measured from; ``ping`` a (field, value) that marks the subscription's test event and
    ``handshake`` the field its reply echoes."""

    signature_header: str
    scheme: SignatureScheme
    prefix: str = ""
    delivery_id: str | None = None
    sent_at: str | None = None
    window: timedelta | None = None
    ping: tuple[str, str] | None = None
    handshake: str | None = None
    # the header naming the event, and the events that say the entry was deleted (Clockify
    # ``Clockify-Webhook-Event-Type: TIME_ENTRY_DELETED``): the body is the entry as it was
    event_header: str | None = None
    deletion_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Opened:
    """A verified delivery: its id, the handshake reply when it is a ping (else None), and
    whether it says the entries in it were deleted."""

    delivery_id: str
    handshake: dict[str, str] | None
    deleted: bool = False


def expected(spec: Webhook, secret: str, body: bytes) -> str:
    """The header value a genuine delivery of ``body`` carries."""
    if spec.scheme is SignatureScheme.SHARED_TOKEN:
        return spec.prefix + secret
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return spec.prefix + digest


def verify(spec: Webhook, secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """Raise ``SignatureRefused`` unless the delivery's header matches; ``headers`` keys are
    lower-case (HTTP field names are case-insensitive, RFC 9110 section 5.1)."""
    given = headers.get(spec.signature_header.lower())
    if not given:
        raise SignatureRefused(f"the {spec.signature_header} header is missing")
    if not hmac.compare_digest(given.strip().encode(), expected(spec, secret, body).encode()):
        raise SignatureRefused(f"the {spec.signature_header} header does not match this "
                               "connection's webhook secret")


def _field(body: bytes, name: str | None) -> Any:
    if name is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None  # not JSON: intake keeps it and says why
    return data.get(name) if isinstance(data, dict) else None


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    # Toggl sends nanoseconds (2022-06-25T03:58:10.207820267Z): fromisoformat takes six digits
    head, dot, tail = text.partition(".")
    if dot:
        digits = "".join(ch for ch in tail if ch.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits):]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def open_delivery(spec: Webhook, secret: str, headers: Mapping[str, str], body: bytes,
                  now: datetime) -> Opened:
    """Verify a delivery, then read what it is: a ping (answered, never stored) or a delivery
    with its id. A signed instant outside the window is refused like a bad signature: a
    captured body sent again later is not the tracker speaking now."""
    verify(spec, secret, headers, body)
    if spec.ping is not None:
        field, value = spec.ping
        code = _field(body, spec.handshake)
        if _field(body, field) == value or code is not None:
            return Opened("ping", {spec.handshake: str(code)} if spec.handshake and code
                          is not None else {})
    if spec.window is not None:
        sent = _instant(_field(body, spec.sent_at))
        if sent is not None and abs(now - sent) > spec.window:
            raise WebhookReplayed(f"the delivery was sent at {sent.isoformat()}, outside the "
                                   f"{spec.window} replay window")
    event = headers.get(spec.event_header.lower(), "") if spec.event_header else ""
    deleted = event.strip().upper() in spec.deletion_events
    named = _field(body, spec.delivery_id)
    if named is None or isinstance(named, dict | list):
        # a deletion carries the same body as the entry's creation: told apart by its event
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        return Opened(f"deleted:{digest}" if deleted else digest, None, deleted)
    return Opened(str(named), None, deleted)
