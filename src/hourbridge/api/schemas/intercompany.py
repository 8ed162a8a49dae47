"""Request and response models of the ``api/v1/intercompany.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Decimal_, Money, Out


class IntercompanyTotal(Out):
    seller: str = Field(description="the selling entity (the employee's)")
    buyer: str = Field(description="the buying entity (the project's)")
    currency: str = Field(description="the seller's currency, in which charges are made")
    status: Literal["booked", "awaiting_fx"]
    charges: int
    seconds: int
    hours: Decimal_
    amount: Money



class IntercompanyCharge(Out):
    id: int
    entry: int
    seller: str
    buyer: str
    employee: str
    project: str
    work_date: dt.date
    seconds: int
    hours: Decimal_
    cost_rate: Decimal_
    markup_percent: Decimal_
    transfer_price: Decimal_ = Field(description="per hour: cost rate plus markup")
    amount: Money
    currency: str
    buyer_currency: str
    status: Literal["booked", "awaiting_fx"]
    seller_journal_key: str | None = Field(description="null for zero-priced work")
    buyer_journal_key: str | None = Field(
        description="null while the buyer's side waits for FX conversion")



class IntercompanyReport(Out):
    period: str | None
    totals: list[IntercompanyTotal]
    charges: list[IntercompanyCharge]

