"""Holds: placed and released holds."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from hourbridge.domain.holds import Hold


class HoldRepository(Protocol):
    def active(self) -> list[Hold]: ...
    def place(self, scope: str, ref: str, reason: str, owner_role: str, note: str,
              at: datetime, by: str) -> int: ...
    def release(self, hold_id: int, at: datetime, by: str, note: str) -> bool: ...
    def entry_exists(self, entry_id: int) -> bool: ...
