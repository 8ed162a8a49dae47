"""Intercompany charges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from hourbridge.domain.intercompany import IntercompanyCharge


class IntercompanyRepository(Protocol):
    def charged(self, entry_ids: Sequence[int]) -> set[int]: ...
    def add(self, charges: Sequence[tuple[IntercompanyCharge, str | None, str | None]],
            at: datetime) -> None: ...
