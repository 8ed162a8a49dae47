"""Billing holds: work under a hold does not bill until the hold is released.

A hold sits on a customer (and so on its subsidiaries), a project, a contract or one entry,
with a reason (a missing purchase order, a credit hold, a dispute) and the role that owns
releasing it. Holds never change the work itself: they only keep it out of billing runs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

HOLD_OWNERS = {
    "missing_po": "account_manager",
    "credit_hold": "credit_controller",
    "dispute": "account_manager",
    "other": "finance",
}


class HoldScope(enum.StrEnum):
    CUSTOMER = "customer"
    PROJECT = "project"
    CONTRACT = "contract"
    ENTRY = "entry"


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    scope: HoldScope
    ref: str
    reason: str
    owner_role: str
    placed_at: datetime
    placed_by: str
    note: str = ""

    def describe(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.scope.value} {self.ref} is on hold: {self.reason}{note}"


class HoldBook:
    """Active holds indexed by what they hold, for one billing run."""

    def __init__(self, holds: Iterable[Hold]) -> None:
        self._by_target: dict[tuple[HoldScope, str], Hold] = {}
        for hold in sorted(holds, key=lambda h: h.id):
            self._by_target.setdefault((hold.scope, hold.ref), hold)

    def __bool__(self) -> bool:
        return bool(self._by_target)

    def holding(self, entry_id: int, project: str, contract: str | None,
                customer_chain: Iterable[str]) -> Hold | None:
        """The hold keeping this entry from billing, most specific first, or None."""
        get = self._by_target.get
        found = get((HoldScope.ENTRY, str(entry_id))) or get((HoldScope.PROJECT, project))
        if found is None and contract is not None:
            found = get((HoldScope.CONTRACT, contract))
        if found is None:
            for customer in customer_chain:
                found = get((HoldScope.CUSTOMER, customer))
                if found is not None:
                    break
        return found
