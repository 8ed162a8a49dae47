"""Ledger: where balanced journal entries go."""

from __future__ import annotations

from typing import Protocol

from hourbridge.domain.ledger import JournalEntry


class LedgerSink(Protocol):
    """Where balanced journal entries go; must ignore a key it has already recorded."""

    def post(self, entry: JournalEntry) -> bool: ...
