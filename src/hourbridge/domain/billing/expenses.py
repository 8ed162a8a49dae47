"""Billable expenses of a contract as invoice lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from ..contracts import EXPENSE, version_for
from ..model import Contract, ExpenseBilling
from ..money import round_money
from .drafts import ChargeLine, period_of


class BillableExpense(Protocol):
    """What billing reads of an approved, billable, unbilled expense."""

    @property
    def id(self) -> int: ...
    @property
    def project(self) -> str: ...
    @property
    def spent_on(self) -> date: ...
    @property
    def category(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...


def expense_charges(contract: Contract, expenses: Sequence[BillableExpense]
                    ) -> list[tuple[str, ChargeLine]]:
    """One line per month, project and category: the expenses at cost, or with the contract's
    markup, rounded once per line (half up)."""
    groups: dict[tuple[str, str, str], list[BillableExpense]] = defaultdict(list)
    for e in expenses:
        groups[(period_of(e.spent_on), e.project, e.category)].append(e)
    markup = contract.expenses.markup_percent if (
        contract.expenses.billing is ExpenseBilling.MARKUP) else Decimal(0)
    out: list[tuple[str, ChargeLine]] = []
    for (period, project, category), rows in sorted(groups.items()):
        cost = sum((e.amount for e in rows), Decimal(0))
        amount = round_money(cost * (1 + markup / 100), contract.currency)
        how = f"at cost {cost}" if not markup else f"{cost} + {markup} % markup"
        out.append((period, ChargeLine(
            EXPENSE, category[:64], f"Expenses {project}: {category} ({len(rows)}, {how})",
            amount, version_for(contract, min(e.spent_on for e in rows)).version, project,
            tuple(e.id for e in rows))))
    return out
