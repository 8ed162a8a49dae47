"""Billable expenses of a contract as invoice lines.

An expense spent in another currency than its contract is converted at the contract's FX
policy (``domain.fxpolicy.expense_rate``); the markup applies to the converted amount, and the
line is rounded once, to the contract currency's minor unit: the line equals
round(spent x rate x (1 + markup)). Such a line carries what was spent, in which currency and
at which rate (``ChargeLine.foreign``), and groups only expenses of one currency and rate, so
those three facts re-compute it. Without a rate in force the expense waits (``no_fx_rate``)
and a later run bills it once the rate is loaded; it is never converted at a guessed rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol

from ..contracts import EXPENSE, version_for
from ..display import two_or_more
from ..fx import ONE, ForeignAmount, FxTable, convert
from ..fxpolicy import expense_rate
from ..model import Contract, ExpenseBilling
from ..problems import Skip
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
    @property
    def currency(self) -> str: ...


_NO_RATES = FxTable(())


def expense_charges(contract: Contract, expenses: Sequence[BillableExpense],
                    fx: FxTable = _NO_RATES, through: date = date.max
                    ) -> tuple[list[tuple[str, ChargeLine]], list[Skip]]:
    """One line per month, project, category, currency and rate: the expenses at cost, or
    with the contract's markup, converted and rounded once per line (half up); and the
    expenses that wait for an FX rate."""
    groups: dict[tuple[str, str, str, str, Decimal], list[BillableExpense]] = defaultdict(list)
    waiting: list[Skip] = []
    for e in expenses:
        rate = expense_rate(contract, fx, e.currency, e.spent_on, through)
        if not isinstance(rate, Decimal):
            waiting.append(Skip.because(e.id, rate.code, rate.message, kind="expense",
                                        contract=contract.id))
            continue
        groups[(period_of(e.spent_on), e.project, e.category, e.currency, rate)].append(e)
    markup = contract.expenses.markup_percent if (
        contract.expenses.billing is ExpenseBilling.MARKUP) else Decimal(0)
    out: list[tuple[str, ChargeLine]] = []
    # a category's lines in one currency at several rates get their own refs (a ref is what
    # the run marks the expenses billed by)
    rates_of: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for period, project, category, currency, _ in groups:
        rates_of[(period, project, category, currency)] += 1
    seen: dict[tuple[str, str, str, str], int] = defaultdict(int)
    # lines of one category and currency at several rates follow the days they were spent
    ordered = sorted(groups.items(), key=lambda g: (g[0][:4], min(e.spent_on for e in g[1]),
                                                    g[0][4]))
    for (period, project, category, currency, rate), rows in ordered:
        cost = sum((e.amount for e in rows), Decimal(0))
        amount = convert(cost, rate, markup, contract.currency)
        foreign = None
        ref = category[:64]
        if currency != contract.currency:
            foreign = ForeignAmount(cost, currency, rate)
            key = (period, project, category, currency)
            seen[key] += 1
            several = f"/{seen[key]}" if rates_of[key] > 1 else ""
            ref = f"{category[:52]}/{currency}{several}"
        out.append((period, ChargeLine(
            EXPENSE, ref, f"Expenses {project}: {category} ({len(rows)}, "
            f"{_how(cost, markup, foreign, contract.currency)})",
            amount, version_for(contract, min(e.spent_on for e in rows)).version, project,
            tuple(e.id for e in rows), foreign)))
    return out, waiting


def _how(cost: Decimal, markup: Decimal, foreign: ForeignAmount | None,
         contract_currency: str) -> str:
    """How a line's amount came about, in words the customer can re-compute it from."""
    spent = str(cost)
    if foreign is not None and foreign.rate != ONE:
        spent = (f"{cost} {foreign.currency} at {two_or_more(foreign.rate)} "
                 f"{contract_currency}/{foreign.currency}")
    elif foreign is not None:
        spent = f"{cost} {foreign.currency}"
    return f"at cost {spent}" if not markup else f"{spent} + {markup} % markup"
