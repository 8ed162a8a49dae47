"""Signed webhook POSTs (``services.ports.webhooks.WebhookGateway``).

Response handling follows Standard Webhooks (``spec/standard-webhooks.md``, "Delivery
behavior"): only a 2xx is a delivery; 410 Gone means the receiver wants no more and the
subscription is disabled; every other answer (3xx included: redirects are not followed), a
timeout or a reset connection is a failure retried with backoff, honouring ``Retry-After``
(on 429, 502, 503, 504 or any other) through ``pipeline.retry.RetryPolicy``. The same
``webhook-id`` goes out on every retry, so the receiver de-duplicates on it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from hourbridge.errors import InvalidInput, Retryable, SubscriptionGone
from hourbridge.services.ports.webhooks import Subscription

from ..http import USER_AGENT, retry_after
from ..sealing import Sealer
from .signing import new_secret, sign

TIMEOUT_SECONDS = 15.0  # the spec recommends 15-30 s; receivers should answer fast


class ReceiverFailed(Retryable):
    """A receiver answered with a status that is no delivery (kept for the delivery log)."""

    def __init__(self, message: str, status: int, retry_after: float | None) -> None:
        super().__init__(message, retry_after)
        self.status = status


class WebhookSender:
    """Seals subscription secrets (Fernet, ``HOURBRIDGE_SECRET_KEY``) and sends signed
    deliveries. ``transport`` is the test seam (``httpx.MockTransport``)."""

    def __init__(self, key: str | None, clock: Callable[[], datetime], *,
                 transport: httpx.BaseTransport | None = None,
                 allow_loopback_http: bool = True) -> None:
        self._sealer = Sealer(key)
        self._clock = clock
        self._loopback_http = allow_loopback_http
        # one pooled client per sender: a worker thread sends many deliveries in a row. Made
        # on the first delivery, not here: every process bootstraps a sender, and a command
        # line that sends nothing should not pay for a client's TLS set-up (issue 16).
        self._transport = transport
        self._client: httpx.Client | None = None
        self._client_made = threading.Lock()
        self._closed = False

    def _http(self) -> httpx.Client:
        with self._client_made:  # worker threads share the sender: one client, made once
            if self._closed:  # as httpx says of a closed client
                raise RuntimeError("the webhook sender has been closed")
            if self._client is None:
                self._client = httpx.Client(transport=self._transport, timeout=TIMEOUT_SECONDS,
                                            follow_redirects=False,
                                            headers={"user-agent": USER_AGENT})
            return self._client

    def new_secret(self) -> str:
        return new_secret()

    def seal(self, secret: str) -> str:
        return self._sealer.seal_text(secret)

    def _open(self, subscription: Subscription) -> str:
        return self._sealer.open_text(subscription.sealed_secret, f"webhook {subscription.name}")

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if not parts.hostname or (parts.scheme != "https" and not (
                parts.scheme == "http" and loopback and self._loopback_http)):
            raise InvalidInput(f"webhook URL {url!r} must be https (plain http only on "
                               "loopback)")

    def send(self, subscription: Subscription, msg_id: str, event: Mapping[str, object]
             ) -> int:
        """POST ``event`` signed; the status on a 2xx, else the translated error."""
        self.check_url(subscription.url)
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(self._clock().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._open(subscription), msg_id, timestamp, body),
        }
        where = f"webhook {subscription.name}"
        try:
            response = self._http().post(subscription.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise Retryable(f"{where}: no answer within {TIMEOUT_SECONDS:g} s") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{where}: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return status
        if status == 410:
            raise SubscriptionGone(f"{where} answered 410 Gone")
        raise ReceiverFailed(f"{where} answered {status}", status,
                             retry_after(response, self._clock()))

    def close(self) -> None:
        with self._client_made:
            self._closed = True
            if self._client is not None:
                self._client.close()
