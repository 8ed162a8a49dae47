"""Delivering queued ERP documents: the registry of sinks the worker dispatches
``hourbridge.erp.document.ready.v1`` events to, by the destination they name.

Exactly once in effect (DESIGN section 4, point 3): every attempt is recorded before the call
(``sending``) and finished after it. When an earlier attempt for the same document did not end
in a refusal (a crash left it ``sending``, a timeout or dropped answer left it ``unknown``, a
5xx left it ``failed``, or it was posted and the worker died before completing the job), it is
looked up by its external id first; found, it is recorded as ``found`` (and posted if it was
left a draft), never created a second time.

Each destination has its own limits: at most ``concurrency`` documents in flight at once (a
semaphore, shared by every worker thread of this process) and at most
``documents_per_second`` started per second (each document is a few requests: lookups, create,
post), so one slow ERP never takes the others' capacity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hourbridge.domain.erp import ErpDocument, ErpRecord, document_from_data
from hourbridge.errors import Permanent, Retryable
from hourbridge.services.ports.erp import PostingLog, Sink

# an earlier attempt ending so is known not to have created the document: anything else
# (sending, unknown, failed: a 502 from a proxy may follow a commit) may have
REFUSED = "refused"


class UnknownDestination(Permanent):
    code = "unknown_destination"


class OutcomeUnknown(Retryable):
    """The ERP may or may not have taken the document; the next attempt looks it up first."""

    code = "erp_outcome_unknown"


@dataclass
class Limits:
    """At most ``concurrency`` calls at once, ``per_second`` started per second."""

    concurrency: int = 2
    per_second: float | None = None
    sleep: Callable[[float], None] = time.sleep
    _gate: threading.BoundedSemaphore = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: float = 0.0

    def __post_init__(self) -> None:
        self._gate = threading.BoundedSemaphore(self.concurrency)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._gate:
            if self.per_second:
                with self._lock:
                    now = time.monotonic()
                    wait, self._next = (max(0.0, self._next - now),
                                        max(now, self._next) + 1 / self.per_second)
                if wait:
                    self.sleep(wait)
            yield


@dataclass
class Destination:
    sink: Sink
    limits: Limits


@dataclass
class SinkRegistry:
    """Destinations by name, made on first use by ``open_destination`` (bootstrap reads the
    profile and picks the connector); ``None`` from it means no such destination."""

    open_destination: Callable[[str], Destination | None]
    log: PostingLog
    clock: Callable[[], datetime]
    _open: dict[str, Destination] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def destination(self, name: str) -> Destination:
        with self._lock:
            if name not in self._open:
                made = self.open_destination(name)
                if made is None:
                    raise UnknownDestination(f"no ERP profile for destination {name!r}")
                self._open[name] = made
            return self._open[name]

    def close(self) -> None:
        """Close every sink opened so far (those that hold connections)."""
        with self._lock:
            opened, self._open = list(self._open.values()), {}
        for dest in opened:
            closing = getattr(dest.sink, "close", None)
            if closing is not None:
                closing()
    def sink(self, name: str) -> Sink:
        return self.destination(name).sink

    def deliver(self, event: dict[str, Any]) -> ErpRecord:
        """The worker's handler for one queued document (a CloudEvents envelope)."""
        data = event["data"]
        doc = document_from_data(data["document"])
        return self.post(data["destination"], event["id"], doc)

    def post(self, name: str, key: str, doc: ErpDocument) -> ErpRecord:
        dest = self.destination(name)
        earlier = self.log.attempts(name, doc.external_id)
        attempt = self.log.begin(name, doc.kind, doc.external_id, key, self.clock())
        try:
            with dest.limits.slot():
                record = None
                if any(a["status"] != REFUSED for a in earlier):
                    record = dest.sink.find(doc.kind, doc.external_id)
                if record is not None:
                    status = "found"
                    if record.draft:
                        record = dest.sink.confirm(doc.kind, record)
                else:
                    status = "posted"
                    if doc.partner is not None:
                        dest.sink.push_customer(doc.partner, doc.company)
                    record = dest.sink.push_document(doc)
        except Retryable as exc:
            self.log.finish(attempt, "failed", self.clock(), error=str(exc))
            raise
        except Permanent as exc:
            if getattr(exc, "code", "") == "unknown_outcome":
                self.log.finish(attempt, "unknown", self.clock(), error=str(exc))
                raise OutcomeUnknown(str(exc)) from exc
            self.log.finish(attempt, "refused", self.clock(), error=str(exc))
            raise
        except Exception as exc:  # a bug or a foreign error: its outcome is unknown too
            self.log.finish(attempt, "unknown", self.clock(),
                            error=f"{type(exc).__name__}: {exc}")
            raise
        self.log.finish(attempt, status, self.clock(), erp_id=record.erp_id)
        return record
