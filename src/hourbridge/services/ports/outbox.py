"""Outbox: events for delivery, written in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Outbox(Protocol):
    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool: ...
