"""The outbox relay's JetStream publisher (nats-py).

Each delivered outbox event is published to the subject named by its CloudEvents type
(``hourbridge.journal.entry.ready.v1``; NATS subjects are dot-separated tokens, so a consumer
can subscribe to ``hourbridge.journal.>``) as a structured-mode CloudEvent
(``content-type: application/cloudevents+json``, the envelope as the body), with the header
``Nats-Msg-Id`` set to the outbox key. JetStream drops a second message with the same id within
the stream's duplicate window (docs.nats.io, "JetStream headers" and "Message
De-Duplication"), so the republish after a crash between publish and "sent" stores nothing new.
The worker waits for the publish acknowledgement before it marks the row sent; a timeout or a
lost connection is ``Retryable``. NATS is never the system of record: anything it loses can be
published again from the outbox.

nats-py is asyncio; the worker is not. One event loop runs in a daemon thread per relay, and
the worker's threads hand it coroutines (``run_coroutine_threadsafe``) and wait for the ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from datetime import timedelta
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError

from hourbridge.errors import Retryable, SetupRefused
from hourbridge.pipeline.worker import Job

STREAM = "HOURBRIDGE"
SUBJECTS = "hourbridge.>"
ACK_TIMEOUT = 5.0


def subject_of(event_type: str, prefix: str = "") -> str:
    """The subject an event type is published on: its CloudEvents type, as tokens, after
    ``prefix`` (tests and a shared server keep apart by prefix)."""
    return prefix + event_type


class JetStreamRelay:
    """Callable as a ``pipeline.worker.Relay``. ``stream`` is created when missing: durable
    (file storage) with a duplicate window of ``duplicate_window``."""

    def __init__(self, url: str, *, stream: str = STREAM, prefix: str = "",
                 duplicate_window: timedelta = timedelta(hours=2)) -> None:
        self.url = checked_url(url)
        self.stream = stream
        self.prefix = prefix
        self.subjects = prefix + SUBJECTS
        self.duplicate_window = duplicate_window
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="nats-relay")
        self._thread.start()
        self._nc: Any = None
        self._js: JetStreamContext | None = None
        self._lock = threading.Lock()

    def _run(self, coro: Any, timeout: float = ACK_TIMEOUT + 5) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _connect(self) -> JetStreamContext:
        self._nc = await nats.connect(self.url, connect_timeout=3, max_reconnect_attempts=3,
                                      allow_reconnect=True)
        js: JetStreamContext = self._nc.jetstream(timeout=ACK_TIMEOUT)
        config = StreamConfig(name=self.stream, subjects=[self.subjects],
                              storage=StorageType.FILE,
                              duplicate_window=self.duplicate_window.total_seconds())
        try:
            await js.add_stream(config)
        except BadRequestError:  # exists with another config: keep the operator's
            await js.stream_info(self.stream)
        return js

    def _context(self) -> JetStreamContext:
        with self._lock:
            if self._js is None or self._nc is None or self._nc.is_closed:
                try:
                    self._js = self._run(self._connect())
                except Exception as exc:
                    raise Retryable(f"NATS at {self.url}: cannot connect "
                                    f"({type(exc).__name__})") from None
            js: JetStreamContext = self._js
            return js

    def __call__(self, job: Job) -> None:
        js = self._context()
        body = json.dumps(job.payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {"Nats-Msg-Id": job.key, "content-type": "application/cloudevents+json"}
        try:
            self._run(js.publish(subject_of(job.type, self.prefix), body, headers=headers,
                                 stream=self.stream))
        except Exception as exc:  # no ack: the row stays pending and is published again
            raise Retryable(f"NATS publish of {job.key}: {type(exc).__name__}: {exc}"
                            ) from None

    def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            # closing anyway; nothing is lost (the outbox keeps every event)
            with contextlib.suppress(Exception):
                self._run(self._nc.drain())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


def checked_url(url: str) -> str:
    if not url.startswith(("nats://", "tls://")):
        raise SetupRefused(f"HOURBRIDGE_NATS_URL {url!r}: a nats:// or tls:// URL")
    return url
