"""Outbox: events for delivery, written in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol


class Outbox(Protocol):
    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool: ...
    def add_many(self, events: Sequence[tuple[str, str, str, dict[str, Any]]],
                 at: datetime) -> set[str]:
        """(key, type, subject, payload) events in bulk; the keys added (new ones only)."""
