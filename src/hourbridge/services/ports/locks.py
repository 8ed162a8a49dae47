"""Scopes whose writers run one at a time until the transaction ends."""

from __future__ import annotations

from typing import Protocol


class Locks(Protocol):
    def billing(self, contract: str) -> None:
        """Serialise billing of one contract: a concurrent run waits, then sees what the first
        one billed."""
        ...
