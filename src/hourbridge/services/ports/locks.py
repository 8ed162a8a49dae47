"""Scopes whose writers run one at a time until the transaction ends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Locks(Protocol):
    def billing(self, contract: str) -> None:
        """Serialise billing of one contract: a concurrent run waits, then sees what the first
        one billed."""
        ...

    def billing_all(self, contracts: Sequence[str]) -> None:
        """``billing`` for many contracts at once (in sorted order: no deadlock)."""
        ...
