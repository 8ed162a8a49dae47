"""Corrections: live invoice links of an entry and the repository of proposals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class LiveLink:
    """An entry's seconds on one line of a live (draft or issued) invoice, net of credits."""

    invoice_id: int
    status: str
    number: str | None
    line_id: int
    line_no: int
    seconds: int
    rate: Decimal
    currency: str
    adjustment_amount: Decimal | None  # set on a correction's adjustment line


class CorrectionRepository(Protocol):
    def live_links(self, entry_id: int) -> list[LiveLink]: ...
    def supersede_open(self, entry_id: int, at: datetime) -> int: ...
    def add(self, values: dict[str, Any]) -> int: ...
    def get(self, correction_id: int) -> dict[str, Any] | None: ...
    def decide(self, correction_id: int, status: str, action: str, at: datetime, by: str,
               note: str, outcome: dict[str, Any], old_amount: Decimal | None) -> None: ...
    def due_adjustments(self, contract: str, through: date) -> list[dict[str, Any]]: ...
    def owed_contracts(self, through: date, entity: str | None) -> list[str]: ...
    def pending(self, entry_ids: Sequence[int]) -> set[int]: ...
    def mark_adjusted(self, correction_ids: Sequence[int], line_id: int) -> None: ...
    def clear_adjustments(self, invoice_id: int) -> int: ...
