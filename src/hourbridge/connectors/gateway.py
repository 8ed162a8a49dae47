"""The trackers as the sync use case sees them (``services.ports.TrackerGateway``): secrets
sealed with Fernet (``cryptography``; the key from ``HOURBRIDGE_SECRET_KEY``, never stored),
pulls paged through ``http``, pages and verified webhook deliveries (``webhook``) handed on as
``native`` payloads for the one inbox."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from hourbridge.domain.commands import IncomingPayload
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput, Permanent, SignatureRefused
from hourbridge.formats.timefile import TimeFile
from hourbridge.services.ports.connections import (
    WEBHOOK_SECRET_PART,
    Connection,
    Delivery,
    Pull,
)

from .http import RateWindow, TrackerClient, TrackerRefused
from .native import NativeFile, NativeFormatError, pick
from .publication import Publisher, items_of, workspace_of
from .sealing import Sealer
from .stream import PageStyle, Stream
from .tracker import ExportMark, Tracker
from .webhook import open_delivery

# a cursor is stored this far before the pull began: entries changed while the pull ran (or
# on a tracker clock a little behind ours) are pulled again next time, harmlessly unchanged
OVERLAP = timedelta(minutes=10)
# where a full pull of a tracker that needs a date range (Clockify's report) starts
FULL_SINCE = datetime(2000, 1, 1, tzinfo=UTC)


def cursor_text(stream: Stream, moment: datetime) -> str:
    """``moment`` in the form the stream's cursor parameter takes."""
    if stream.cursor_format == "unix":
        return str(int(moment.timestamp()))
    if stream.cursor_format == "iso_millis":  # Clockify reports: 2024-03-01T00:00:00.000Z
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if stream.cursor_format == "local":  # Kimai: local time, no offset (UTC server assumed)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_body(stream: Stream, cursor: str | None, now: datetime) -> dict[str, Any] | None:
    """The POSTed filter of a BODY_PAGE stream (Clockify's detailed report): the date range
    from the cursor (or the beginning) to a day ahead (a timer started "tomorrow" in a zone
    east of UTC); ``None`` for a stream filtered by its query."""
    if stream.page_style is not PageStyle.BODY_PAGE:
        return None
    return {**dict(stream.body_fields),
            stream.cursor_param: cursor or cursor_text(stream, FULL_SINCE),
            stream.range_end_param: cursor_text(stream, now + timedelta(days=1))}


class Trackers:
    """``TrackerGateway`` over the declared trackers. ``transport`` and ``sleep`` are test
    seams (``httpx.MockTransport``, no real waiting)."""

    def __init__(self, trackers: Mapping[str, Tracker], key: str | None, *,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] | None = None,
                 allow_loopback_http: bool = True) -> None:
        self._trackers = dict(trackers)
        self._sealer = Sealer(key)
        self._transport = transport
        self._sleep = sleep
        self._loopback_http = allow_loopback_http

    def trackers(self) -> list[str]:
        return sorted(self._trackers)

    def required_parts(self, tracker: str) -> tuple[str, ...]:
        return self._trackers[tracker].secret_parts

    def seal(self, secret: Mapping[str, str]) -> str:
        return self._sealer.seal_parts(secret)

    def _open(self, connection: Connection) -> dict[str, str]:
        return self._sealer.open_parts(connection.sealed_secret, f"connection {connection.name}")

    def _client(self, connection: Connection, *, api: bool = False) -> TrackerClient:
        """A client for the connection; ``api``: at the tracker's master-data API."""
        tracker = self._trackers[connection.tracker]
        base = connection.base_url
        if api and tracker.api_base is not None:
            base = base.replace(*tracker.api_base)
        url = urlsplit(base)
        loopback = url.hostname in ("127.0.0.1", "localhost", "::1")
        if url.scheme != "https" and not (url.scheme == "http" and loopback
                                          and self._loopback_http):
            raise InvalidInput(f"connection {connection.name}: base URL must be https "
                               "(plain http only on loopback)")
        window = None if tracker.rate is None else RateWindow(*tracker.rate)
        if self._sleep is not None and window is not None:
            window.sleep = self._sleep
        return TrackerClient(base, tracker.auth, self._open(connection),
                             window=window, transport=self._transport,
                             sleep=self._sleep or time.sleep)

    def pull(self, connection: Connection, cursor: str | None, now: datetime) -> Pull:
        tracker = self._trackers[connection.tracker]
        stream = tracker.time_entries
        return Pull(self._pages(tracker, connection, cursor, report_body(stream, cursor, now)),
                    cursor_text(stream, now - max(OVERLAP, stream.lookback)))

    def _pages(self, tracker: Tracker, connection: Connection, cursor: str | None,
               body: dict[str, Any] | None = None) -> Iterator[IncomingPayload]:
        with self._client(connection) as client:
            for page in client.pages(tracker.time_entries, cursor, body):
                name = f"sync-{connection.name}-{cursor or 'full'}-p{page.number}.json"
                yield NativeFile.from_bytes(tracker, name, page.body)

    def probe(self, connection: Connection) -> None:
        tracker = self._trackers[connection.tracker]
        stream = tracker.time_entries
        with self._client(connection) as client:
            params = {stream.page_size_param: 1} if stream.page_size_param else {}
            if stream.method == "GET":
                client.send("GET", stream.path, params=params)
            else:
                body = report_body(stream, None, datetime.now(UTC)) or {}
                key = stream.page_body_key
                paging = {"page": 1, "pageSize": 1}
                client.send(stream.method, stream.path,
                            json={**body, key: paging} if key else {**body, **paging})

    def tombstones(self, name: str, external_ids: list[str], revision: int
                   ) -> IncomingPayload:
        rows = [{"external_id": i, "deleted": True, "revision": revision}
                for i in external_ids]
        data = json.dumps(rows).encode()
        return TimeFile.from_bytes(f"sync-{name}-gone-{revision}.json", "application/json",
                                   data)

    def marks_exported(self, tracker: str) -> bool:
        return self._trackers[tracker].export_mark is not None

    def directory(self, connection: Connection) -> Iterator[tuple[str, str, str, str]]:
        tracker = self._trackers[connection.tracker]
        if not tracker.directory:
            return
        with self._client(connection, api=True) as client:
            values = workspace_of(client, tracker.workspace, self._open(connection))
            for listed in tracker.directory:
                stream = replace(listed.stream, path=listed.stream.path.format(**values))
                for item in items_of(client.pages(stream, None), stream.records):
                    if item.get("id") is None:
                        continue
                    yield (listed.kind, str(item["id"]), str(pick(item, listed.name) or ""),
                           str(pick(item, listed.code) or ""))

    @contextmanager
    def publisher(self, connection: Connection) -> Iterator[Publisher]:
        """One publish's session at the connection's tracker (``connectors.publication``)."""
        tracker = self._trackers[connection.tracker]
        if tracker.publication is None:
            raise Permanent(f"{tracker.name}: no master data can be published there")
        with self._client(connection, api=True) as client:
            values = workspace_of(client, tracker.workspace, self._open(connection))
            yield Publisher(client, tracker.publication, values)

    def mark_exported(self, connection: Connection, external_ids: list[str]
                      ) -> Iterator[tuple[str, str | None]]:
        tracker = self._trackers[connection.tracker]
        if tracker.export_mark is None:  # refused at once, not when first iterated
            raise Permanent(f"{tracker.name} has no exported flag to set")
        return self._marks(connection, tracker.export_mark, external_ids)

    def _marks(self, connection: Connection, mark: ExportMark, external_ids: list[str]
               ) -> Iterator[tuple[str, str | None]]:
        with self._client(connection) as client:
            for external_id in external_ids:
                try:
                    client.send(mark.method, mark.path.format(id=quote(external_id, safe="")),
                                json=dict(mark.body))
                except TrackerRefused as exc:
                    if exc.status in (401, 403):
                        raise  # the credentials, not this entry: stop
                    yield external_id, str(exc)
                    continue
                yield external_id, None

    def reseal(self, connection: Connection, parts: Mapping[str, str]) -> str:
        return self.seal({**self._open(connection), **parts})

    def open_delivery(self, connection: Connection, headers: Mapping[str, str], body: bytes,
                      now: datetime) -> Delivery:
        tracker = self._trackers[connection.tracker]
        if tracker.webhook is None:
            raise InvalidInput(f"{tracker.name} sends no webhooks: sync connection "
                               f"{connection.name} instead")
        secret = self._open(connection).get(WEBHOOK_SECRET_PART)
        if not secret:
            # refused like a bad signature: unverifiable bytes are never kept
            raise SignatureRefused(f"connection {connection.name} has no webhook secret: set "
                                   "it with `hourbridge connections webhook-secret`")
        opened = open_delivery(tracker.webhook, secret, headers, body, now)
        if opened.handshake is not None:
            return Delivery(opened.delivery_id, None, opened.handshake)
        name = f"webhook-{connection.name}-{opened.delivery_id.replace(':', '-')[:80]}.json"
        payload = NativeFile.from_bytes(tracker, name, body)
        if opened.deleted:
            # the entry as it was, deleted now: a tombstone revision of each entry in it
            ids = [row["external_id"] for _, row in payload.rows()
                   if row.get("external_id")]
            if not ids:
                raise NativeFormatError(Problem(
                    "invalid_format", f"the {tracker.name} deletion event names no entry",
                    name))
            return Delivery(opened.delivery_id, self.tombstones(
                f"{connection.name}-webhook", ids, int(now.timestamp())))
        return Delivery(opened.delivery_id, payload)
