"""Response models of the ``api/v1/receivables.py`` router."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Money, Out


class AgingBuckets(Out):
    current: Money = Field(description="not yet due")
    d1_30: Money = Field(alias="1-30", description="1 to 30 days past due")
    d31_60: Money = Field(alias="31-60")
    d61_90: Money = Field(alias="61-90")
    d90_plus: Money = Field(alias="90+", description="more than 90 days past due")
    total: Money


class AgingCustomer(AgingBuckets):
    entity: str
    customer: str
    name: str
    currency: str
    documents: int = Field(description="invoices and credit notes with an open amount")


class AgingTotal(AgingBuckets):
    currency: str


class Aging(Out):
    as_of: dt.date
    entity: str | None
    buckets: list[str]
    customers: list[AgingCustomer]
    totals: list[AgingTotal] = Field(description="per currency: amounts in different "
                                     "currencies are never added")
