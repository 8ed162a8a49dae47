"""Tracker connections: the stored record, its repository, and the gateway to the trackers
(``connectors``, wired in bootstrap) that the sync use case pulls through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hourbridge.domain.commands import IncomingPayload
from hourbridge.domain.publication import Listed, Step


@dataclass(frozen=True, slots=True)
class Connection:
    name: str
    tracker: str
    base_url: str
    sealed_secret: str  # encrypted at rest; only the gateway opens it
    cursor: str | None = None
    synced_at: datetime | None = None


class ConnectionRepository(Protocol):
    def add(self, connection: Connection, now: datetime) -> bool:
        """False when the name is taken."""
        ...

    def get(self, name: str) -> Connection | None: ...
    def all(self) -> list[Connection]: ...
    def remove(self, name: str) -> bool: ...
    def advance(self, name: str, cursor: str, now: datetime) -> None: ...
    def reseal(self, name: str, sealed_secret: str) -> bool: ...
    def live_entry_ids(self, source: str) -> set[str]:
        """External ids of the source's stored entries not deleted."""
        ...
    def unmarked_invoiced(self, source: str, limit: int) -> list[str]:
        """External ids of the source's invoiced entries not yet marked exported there."""
        ...
    def record_exported(self, source: str, external_ids: list[str], now: datetime) -> int:
        """Record the marks (those recorded before are skipped); how many were new."""
        ...


@dataclass(frozen=True)
class Pull:
    """One pull: its pages as payloads (fetched lazily, outside any transaction) and the
    cursor the connection may store once every page is committed."""

    pages: Iterator[IncomingPayload]
    cursor_after: str


# the sealed secret's part holding the webhook secret (Toggl) or token (Clockify)
WEBHOOK_SECRET_PART = "webhook_secret"


@dataclass(frozen=True)
class Delivery:
    """A verified webhook delivery: ``delivery_id`` names it for replay dedupe; ``handshake``
    is the reply a subscription's ping wants (then nothing is stored), else ``payload`` is
    the body as the tracker's own payload for the one inbox."""

    delivery_id: str
    payload: IncomingPayload | None
    handshake: dict[str, str] | None = None


class WebhookReceipts(Protocol):
    def seen(self, connection: str, delivery_id: str) -> bool: ...
    def record(self, connection: str, delivery_id: str, inbox_id: int | None,
               now: datetime) -> bool:
        """False when the delivery was recorded before (a concurrent replay)."""
        ...
    def quarantine(self, connection: str, reason: str, detail: str,
                   headers: Mapping[str, str], body: bytes, now: datetime) -> int:
        """Keep a refused delivery for audit (never processed); its id."""
        ...


class TrackerPublisher(Protocol):
    """One publish's reads and writes at a tracker (``connectors.publication``)."""

    def kinds(self) -> list[tuple[str, str | None]]:
        """The kinds it publishes in order, each with the alias kind its items are
        recorded as (None: not recorded)."""
        ...

    def compared(self, kind: str) -> tuple[str, ...]:
        """The fields whose difference makes an update."""
        ...

    def listed(self, kind: str, projects: Mapping[str, str]) -> list[Listed]:
        """What it lists of ``kind``; ``projects``: project code -> its id there."""
        ...

    def apply(self, kind: str, step: Step) -> str:
        """Create, update or archive (a create's unknown outcome is never sent again);
        the item's id there."""
        ...


class TrackerGateway(Protocol):
    def trackers(self) -> list[str]: ...
    def seal(self, secret: Mapping[str, str]) -> str: ...
    def required_parts(self, tracker: str) -> tuple[str, ...]: ...
    def pull(self, connection: Connection, cursor: str | None, now: datetime) -> Pull: ...
    def probe(self, connection: Connection) -> None:
        """One cheap request; raises the translated error when it fails."""
        ...

    def tombstones(self, name: str, external_ids: list[str], revision: int
                   ) -> IncomingPayload:
        """Canonical deletion rows for entries gone from the source."""
        ...

    def marks_exported(self, tracker: str) -> bool:
        """Whether invoiced entries are marked exported at this tracker (Kimai)."""
        ...

    def directory(self, connection: Connection) -> Iterator[tuple[str, str, str, str]]:
        """The tracker's own users, projects and tasks as (kind, id, name, code); none when
        it declares no such lists."""
        ...

    def mark_exported(self, connection: Connection, external_ids: list[str]
                      ) -> Iterator[tuple[str, str | None]]:
        """Mark each entry exported at the tracker (an absolute write, safe to send again):
        (id, None) once it is marked, (id, reason) when the tracker refused it for good;
        raises ``Permanent`` when the tracker has no such flag, ``Retryable`` when it is
        unavailable (the ids yielded before are marked)."""
        ...

    def reseal(self, connection: Connection, parts: Mapping[str, str]) -> str:
        """The connection's secret with ``parts`` added, sealed again."""
        ...

    def publisher(self, connection: Connection) -> AbstractContextManager[TrackerPublisher]:
        """A publish session at the connection's tracker (``Permanent`` when none is
        declared)."""
        ...

    def open_delivery(self, connection: Connection, headers: Mapping[str, str], body: bytes,
                      now: datetime) -> Delivery:
        """Verify a webhook delivery's signature over the raw ``body`` (raises
        ``SignatureRefused``) before anything reads it; ``headers`` keys are lower-case."""
        ...
