"""Outbound webhook subscriptions: the stored record, its repository, and the gateway that
seals secrets and sends signed deliveries (``connectors.webhooks``, wired in bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

ANY_TYPE = "*"


@dataclass(frozen=True, slots=True)
class Subscription:
    name: str
    url: str
    event_types: tuple[str, ...]  # CloudEvents types, or ANY_TYPE
    sealed_secret: str  # encrypted at rest; only the gateway opens it
    status: str = "active"  # active / disabled
    disabled_reason: str | None = None
    created_at: datetime | None = None
    disabled_at: datetime | None = None

    def wants(self, type_: str) -> bool:
        return self.status == "active" and (ANY_TYPE in self.event_types
                                            or type_ in self.event_types)


class WebhookRepository(Protocol):
    def add(self, subscription: Subscription, now: datetime) -> bool:
        """False when the name is taken."""
        ...

    def get(self, name: str) -> Subscription | None: ...
    def all(self) -> list[Subscription]: ...
    def remove(self, name: str) -> bool: ...
    def disable(self, name: str, reason: str, now: datetime) -> bool:
        """True if it was active."""
        ...

    def log(self, name: str, webhook_id: str, status: int | None, outcome: str,
            error: str | None, now: datetime) -> None:
        """One attempt in the delivery log (outcome: delivered / retry / gone)."""
        ...


class WebhookGateway(Protocol):
    def new_secret(self) -> str:
        """A fresh ``whsec_`` secret."""
        ...

    def seal(self, secret: str) -> str: ...
    def check_url(self, url: str) -> None:
        """Raises ``InvalidInput`` for a URL deliveries may not go to."""
        ...

    def send(self, subscription: Subscription, msg_id: str, event: Mapping[str, object]
             ) -> int:
        """One signed POST; the 2xx status, or raises ``Retryable`` / ``SubscriptionGone``."""
        ...
