"""Expenses: the rows intake, approval and billing move, and their repository."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from .entries import IntakeRepository, RowSelection


class NewExpense(NamedTuple):
    """A validated expense to store."""

    source: str
    external_id: str
    revision: int
    inbox_id: int
    employee: str
    project: str
    task: str | None
    entity: str
    contract: str | None
    spent_on: date
    category: str
    description: str
    amount: Decimal
    currency: str
    billable: bool
    receipt_ref: str | None
    content_key: str
    billing: str


@dataclass(frozen=True, slots=True)
class ExpenseRow:
    """A stored expense as approval and billing read it."""

    id: int
    contract: str | None
    project: str
    entity: str
    spent_on: date
    category: str
    description: str
    amount: Decimal
    currency: str
    employee: str
    task: str | None = None
    billable: bool = True
    approval: str = "approved"
    billing: str = "unbilled"


@dataclass(frozen=True, slots=True)
class ExpenseSelection(RowSelection):
    """Expenses are selected by the filters every kind has."""


class ExpenseRepository(IntakeRepository[NewExpense], Protocol):
    # approval
    def select(self, selection: ExpenseSelection) -> Iterator[ExpenseRow]: ...
    def approve(self, ids: Sequence[int], at: datetime, by: str) -> None: ...
    # billing: what a run may bill, and the billing axis it moves
    def billable(self, contract: str, through: date) -> list[ExpenseRow]:
        """Approved, billable, unbilled expenses of ``contract`` spent on or before
        ``through``, by date then id."""
        ...
    def contracts_with_billable(self, through: date, entity: str | None) -> list[str]: ...
    def mark_not_billable(self, ids: Sequence[int], at: datetime) -> None: ...
    def on_lines(self, line_ids: Sequence[int]) -> list[int]: ...
    def mark_billed(self, pairs: Sequence[tuple[int, int]], at: datetime) -> None:
        """(expense id, invoice line id): each expense must be unbilled, else ``Conflict``
        and nothing is marked (an expense is billed at most once)."""
        ...
    def release(self, ids: Sequence[int], mode: str, at: datetime) -> None:
        """A credit note gave billed expenses back: ``rebill`` makes them unbilled again,
        ``write_off`` never bills them again; must be billed, else ``Conflict``."""
        ...
