"""The rate-date policy of a contract: which day's rate translates which booking.

=================  ===========================  ============================  ==============
booking            work_date                    issue_date                    fixed
=================  ===========================  ============================  ==============
WIP on approval    each entry's work date       the approval's posting date   fx_fixed_rate
invoice on issue   the issue date               the issue date                fx_fixed_rate
credit note        the credited invoice's rate  the credited invoice's rate   fx_fixed_rate
adjustment         the entry's WIP rate         the entry's WIP rate          fx_fixed_rate
=================  ===========================  ============================  ==============

Under ``issue_date`` the issue date is not known when work is approved, so the WIP is an
estimate at the latest rate known then; either way the invoice relieves unbilled receivables at
exactly the functional value that was booked (``domain.fx.translate_step``), and the
difference to the invoice's own translation is an FX gain or loss (``domain.ledger``).

An expense spent in another currency than its contract is first *converted* into the contract
currency (``expense_rate``): under ``work_date`` (the default) and ``fixed`` at the rate in
force on the day it was spent (the fixed rate is one of contract to functional currency, not
of the expense's currency), under ``issue_date`` at the rate in force on the day the billing
run bills through. The rate is read in the direction loaded (expense currency -> contract
currency), never inverted (``domain.fx``); none in force is ``no_fx_rate``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .fx import ONE, FxRateDate, FxTable
from .model import Contract
from .problems import Problem


def _fixed(contract: Contract, functional_currency: str) -> Decimal | Problem | None:
    if contract.currency == functional_currency:
        return ONE
    if contract.fx_rate_date is FxRateDate.FIXED:
        if contract.fx_fixed_rate is None:  # refused at load; a guard, not a guess
            return Problem("no_fx_rate", f"contract {contract.id} has fx_rate_date fixed "
                           "without fx_fixed_rate", field="fx_fixed_rate")
        return contract.fx_fixed_rate
    return None


def wip_rate(contract: Contract, functional_currency: str, table: FxTable, work_date: date,
             posted_on: date) -> Decimal | Problem:
    """The rate approved work of ``work_date`` is booked at, approval posted on ``posted_on``."""
    fixed = _fixed(contract, functional_currency)
    if fixed is not None:
        return fixed
    day = work_date if contract.fx_rate_date is FxRateDate.WORK_DATE else posted_on
    return table.rate_on(contract.currency, functional_currency, day)


def invoice_rate(contract: Contract, functional_currency: str, table: FxTable,
                 issue_date: date) -> Decimal | Problem:
    """The rate an invoice's receivable and tax are booked at."""
    fixed = _fixed(contract, functional_currency)
    if fixed is not None:
        return fixed
    return table.rate_on(contract.currency, functional_currency, issue_date)


def expense_rate(contract: Contract, table: FxTable, currency: str, spent_on: date,
                 billed_through: date) -> Decimal | Problem:
    """The rate converting an expense of ``currency`` spent on ``spent_on`` into the contract's
    currency: 1 unit of ``currency`` = the rate in contract currency."""
    day = billed_through if contract.fx_rate_date is FxRateDate.ISSUE_DATE else spent_on
    return table.rate_on(currency, contract.currency, day)
