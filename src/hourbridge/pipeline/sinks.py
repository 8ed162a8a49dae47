"""Delivering queued ERP documents: the registry of sinks the worker dispatches
``hourbridge.erp.document.ready.v1`` events to, by the destination they name.

Exactly once in effect (DESIGN section 4, point 3): every attempt is recorded before the call
(``sending``) and finished after it. When an earlier attempt for the same document did not end
in a refusal (a crash left it ``sending``, a timeout or dropped answer left it ``unknown``, a
5xx left it ``failed``, or it was posted and the worker died before completing the job), it is
looked up by its external id first; found, it is recorded as ``found`` (and posted if it was
left a draft), never created a second time.

Several documents per request where the ERP's protocol allows it (``BatchSink``: Odoo's
``create`` takes a list of values, ``action_post`` a list of ids, each request one
transaction): the worker hands a claim's documents over at once (``deliver_many``) and they
go in chunks of the profile's ``documents_per_request``: one look-up for those an earlier
attempt may have created, one ``create``, one post. The record is written per chunk too: every
attempt's ``sending`` row in one transaction before the first request, every outcome in one
after the last. A request the ERP refuses as a whole created nothing (its transaction rolled
back), so its documents are then sent one by one to find the one it refuses: the others are
posted, that one alone becomes a dead letter.

Each destination has its own limits: at most ``concurrency`` requests in flight at once (a
semaphore, shared by every worker thread of this process; a chunk holds one slot for its
look-up, create and post, as a single document did) and at most ``documents_per_second``
documents started per second, so one slow ERP never takes the others' capacity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hourbridge.domain.erp import ErpDocument, ErpRecord, document_from_data
from hourbridge.errors import Permanent, Retryable
from hourbridge.services.ports.erp import BatchSink, PostingLog, Sink

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
    """At most ``concurrency`` requests at once, ``per_second`` documents started per
    second."""

    concurrency: int = 2
    per_second: float | None = None
    sleep: Callable[[float], None] = time.sleep
    _gate: threading.BoundedSemaphore = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next: float = 0.0

    def __post_init__(self) -> None:
        self._gate = threading.BoundedSemaphore(self.concurrency)

    @contextmanager
    def slot(self, documents: int = 1) -> Iterator[None]:
        with self._gate:
            if self.per_second:
                with self._lock:
                    now = time.monotonic()
                    wait, self._next = (max(0.0, self._next - now),
                                        max(now, self._next) + documents / self.per_second)
                if wait:
                    self.sleep(wait)
            yield


@dataclass
class Destination:
    sink: Sink
    limits: Limits
    per_request: int = 1  # documents in one request, where the sink is a ``BatchSink``


@dataclass
class _Item:
    """One document of a chunk: its attempt and, once known, its outcome."""

    key: str
    doc: ErpDocument
    attempt: int = 0
    earlier: list[str] = field(default_factory=list)
    status: str = ""
    record: ErpRecord | None = None
    error: BaseException | None = None  # what the worker sees: it retries or buries the job

    def fail(self, exc: BaseException) -> None:
        """Record ``exc`` as this attempt's outcome (DESIGN section 4, point 3: a write whose
        answer was lost is ``unknown`` and looked up before the next push)."""
        if isinstance(exc, Retryable):
            self.status, self.error = "failed", exc
        elif isinstance(exc, Permanent) and getattr(exc, "code", "") == "unknown_outcome":
            unknown = OutcomeUnknown(str(exc))
            unknown.__cause__ = exc
            self.status, self.error = "unknown", unknown
        elif isinstance(exc, Permanent):
            # refused: known to have created nothing, unless this attempt made a draft
            self.status, self.error = ("refused" if self.record is None else "failed"), exc
        else:  # a bug or a foreign error: its outcome is unknown too
            self.status, self.error = "unknown", exc

    @property
    def message(self) -> str | None:
        if self.error is None:
            return None
        cause = self.error.__cause__ if isinstance(self.error, OutcomeUnknown) else None
        exc = cause or self.error
        return str(exc) if isinstance(exc, Retryable | Permanent) else (
            f"{type(exc).__name__}: {exc}")


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
        outcome = self.deliver_many([event])[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def deliver_many(self, events: Sequence[dict[str, Any]]) -> list[
            ErpRecord | BaseException]:
        """The worker's batch handler: each queued document's record, or the exception that
        is its outcome, in the order given."""
        out: list[ErpRecord | BaseException | None] = [None] * len(events)
        by_destination: dict[str, list[tuple[int, _Item]]] = {}
        for n, event in enumerate(events):
            try:
                data = event["data"]
                item = _Item(event["id"], document_from_data(data["document"]))
                by_destination.setdefault(data["destination"], []).append((n, item))
            except Exception as exc:  # a malformed payload fails alone
                out[n] = exc
        for name, items in by_destination.items():
            try:
                dest = self.destination(name)
            except Exception as exc:
                for n, _ in items:
                    out[n] = exc
                continue
            size = max(1, dest.per_request) if isinstance(dest.sink, BatchSink) else 1
            for at in range(0, len(items), size):
                chunk = items[at:at + size]
                self._post(name, dest, [item for _, item in chunk])
                for n, item in chunk:
                    out[n] = item.error or item.record
        return [o if o is not None else RuntimeError("no outcome") for o in out]

    def post(self, name: str, key: str, doc: ErpDocument) -> ErpRecord:
        """Post one document to destination ``name`` under outbox ``key``."""
        item = _Item(key, doc)
        self._post(name, self.destination(name), [item])
        if item.error is not None:
            raise item.error
        assert item.record is not None
        return item.record

    def _post(self, name: str, dest: Destination, items: list[_Item]) -> None:
        """One chunk: begun in one transaction, sent, finished in one transaction."""
        begun = self.log.begin_many(name, [(i.doc.kind, i.doc.external_id, i.key)
                                           for i in items], self.clock())
        for item, (attempt, earlier) in zip(items, begun, strict=True):
            item.attempt, item.earlier = attempt, earlier
        try:
            if isinstance(dest.sink, BatchSink):
                for kind in dict.fromkeys(i.doc.kind for i in items):
                    self._send_many(dest, kind, [i for i in items if i.doc.kind == kind])
            else:
                for item in items:
                    self._send_one(dest, item)
        except Exception as exc:  # a bug here: what has no outcome yet is unknown
            for item in items:
                if not item.status:
                    item.fail(exc)
        self.log.finish_many([(i.attempt, i.status or "unknown",
                               i.record.erp_id if i.record else None, i.message)
                              for i in items], self.clock())

    def _send_one(self, dest: Destination, item: _Item) -> None:
        doc = item.doc
        try:
            with dest.limits.slot():
                record = None
                if any(s != REFUSED for s in item.earlier):
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
        except Exception as exc:
            item.fail(exc)
            return
        item.status, item.record = status, record

    def _send_many(self, dest: Destination, kind: str, items: list[_Item]) -> None:
        """Look up, create and post ``items`` (all of ``kind``) in as few requests as the
        ERP allows: one each."""
        sink: BatchSink = dest.sink  # type: ignore[assignment]
        with dest.limits.slot(len(items)):
            suspects = [i for i in items if any(s != REFUSED for s in i.earlier)]
            found: dict[str, ErpRecord] = {}
            if suspects:
                try:
                    found = sink.find_many(kind, [i.doc.external_id for i in suspects])
                except Exception as exc:
                    for i in suspects:
                        i.fail(exc)
            drafts, missing = [], []
            for i in items:
                if i.status:
                    continue
                i.record = found.get(i.doc.external_id)
                if i.record is None:
                    missing.append(i)
                else:
                    i.status = "found"
                    if i.record.draft:
                        drafts.append(i)
            drafts += self._steps(missing, lambda part: sink.create_many(
                [i.doc for i in part]), "posted")
            self._steps(drafts, lambda part: sink.confirm_many(
                kind, [i.record for i in part if i.record is not None]), "")

    @staticmethod
    def _steps(items: list[_Item], call: Callable[[list[_Item]], list[ErpRecord]],
               status: str) -> list[_Item]:
        """Run ``call`` on ``items`` in one request; if the ERP refuses the request as a
        whole, on each alone (nothing of the refused request was done). The items it
        succeeded for, their records and (if ``status``) status set."""
        if not items:
            return []
        parts = [items]
        done: list[_Item] = []
        while parts:
            part = parts.pop(0)
            try:
                records = call(part)
            except Permanent as exc:
                if len(part) > 1 and getattr(exc, "code", "") != "unknown_outcome":
                    parts = [[i] for i in part] + parts
                    continue
                for i in part:
                    i.fail(exc)
                continue
            except Exception as exc:
                for i in part:
                    i.fail(exc)
                continue
            for i, record in zip(part, records, strict=True):
                i.record = record
                if status:
                    i.status = status
                done.append(i)
        return done
