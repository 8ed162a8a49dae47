"""Request and response models of the ``api/v1/ledger.py`` router."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Decimal_, Money, Out


class JournalLine(Out):
    id: int
    account: str
    debit: Money
    credit: Money
    currency: str
    functional_amount: Money
    fx_rate: Decimal_
    customer: str | None
    project: str | None
    employee: str | None



class JournalEntry(Out):
    id: int
    key: str
    entity: str
    posted_on: dt.date
    memo: str
    source_type: str
    source_id: str
    recorded_at: dt.datetime
    lines: list[JournalLine]



class TrialBalanceRow(Out):
    entity: str
    currency: str
    account: str
    debit: Money
    credit: Money
    balance: Money
    functional_currency: str = Field(description="the entity's functional currency")
    functional_balance: Money = Field(
        description="the balance in functional currency (the functional amounts of the "
        "postings); per entity these sum to zero over all currencies")



class FunctionalTrialBalanceRow(Out):
    entity: str
    currency: str = Field(description="the entity's functional currency")
    account: str
    balance: Money

