"""CRM won deals: their repository, and the gateway to the CRM connectors (``connectors``,
wired in bootstrap) the deals use cases pull and read pushed events through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hourbridge.domain.deals import Match, WonDeal

from .connections import Connection


@dataclass(frozen=True)
class DealPull:
    """Won deals changed since the cursor (fetched lazily, outside any transaction), and the
    cursor after them once all are taken (``None``: none seen, keep the old one)."""

    deals: Iterator[WonDeal]
    cursor_after: list[str] = field(default_factory=list)  # filled while ``deals`` is read
    # the CRM's own count of the day's API requests once ``deals`` is read (Salesforce's
    # ``Sforce-Limit-Info: api-usage=n/m``), for the operator to watch
    api_usage: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CrmEvent:
    """A verified pushed event: the delivery ids it carries (one per notification; replay
    dedupe) with the opportunity each names, and the reply the sender wants."""

    kind: str  # change_event | platform_event | outbound_message
    deliveries: tuple[tuple[str, tuple[str, ...]], ...]  # (delivery id, opportunity ids)
    reply: bytes
    media_type: str


class CrmGateway(Protocol):
    def crms(self) -> list[str]: ...
    def required_parts(self, crm: str) -> tuple[str, ...]: ...
    def seal(self, secret: Mapping[str, str]) -> str: ...
    def pull(self, connection: Connection, cursor: str | None) -> DealPull: ...
    def fetch(self, connection: Connection, opportunity_ids: list[str]) -> list[WonDeal]:
        """The named opportunities that are won, read back with their lines and account."""
        ...

    def open_event(self, connection: Connection, headers: Mapping[str, str], body: bytes,
                   token: str) -> CrmEvent:
        """Verify (raises ``SignatureRefused``) then read a pushed event (raises
        ``UnreadablePayload``)."""
        ...


class DealRepository(Protocol):
    def add(self, connection: str, deal: WonDeal, match: Match, received_by: str,
            now: datetime) -> bool:
        """False when the opportunity was taken before (or by a concurrent writer)."""
        ...

    def taken(self, opportunity_ids: list[str]) -> set[str]: ...
    def get(self, opportunity_id: str) -> dict[str, Any] | None: ...
    def listed(self, state: str | None, after: str | None, limit: int
               ) -> list[dict[str, Any]]: ...
    def customers_of(self, account_id: str) -> tuple[str, ...]:
        """Customers earlier confirmed deals of the account were made for."""
        ...

    def decide(self, opportunity_id: str, states: tuple[str, ...], state: str, actor: str,
               now: datetime, note: str, customer: str | None = None,
               contract: str | None = None) -> bool:
        """Move the deal from one of ``states`` to ``state``; False: it was not in one (a
        concurrent decision won)."""
        ...
