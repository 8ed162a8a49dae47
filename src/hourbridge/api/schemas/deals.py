"""Request models of the ``api/v1/deals.py`` router."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .common import Code, In, Note


class DealConfirmIn(In):
    rates: dict[str, Decimal] = Field(
        default_factory=dict, description="line item id -> the price to use instead of the "
        "proposed one (an hourly rate, or a fixed fee's amount)")
    customer: Code | None = Field(None, description="the customer of an ambiguous account "
                                  "(or another than the matched one)")
    entity: Code | None = Field(None, description="the legal entity, when the firm has "
                                "several and the customer is new")
    note: Note = ""


class DealRejectIn(In):
    note: Note = ""
