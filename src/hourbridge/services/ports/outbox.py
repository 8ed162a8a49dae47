"""Outbox: events for delivery, written in the same transaction; dead letters revived."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol


class Outbox(Protocol):
    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool: ...
    def dead_letter_ids(self, ids: Sequence[int] = (), reason: str | None = None,
                        since: datetime | None = None,
                        entities: Collection[str] | None = None) -> list[int]:
        """Dead letters among ``ids`` (all if empty), that died of ``reason``, at or after
        ``since``."""
        ...

    def revive(self, outbox_id: int, by: str, note: str, now: datetime) -> bool:
        """Back to pending under its key, audited; False if it was not dead (any more)."""
        ...
    def add_many(self, events: Sequence[tuple[str, str, str, dict[str, Any]]],
                 at: datetime) -> set[str]:
        """(key, type, subject, payload) events in bulk; the keys added (new ones only)."""
