"""Request and response models of the ``api/v1/billing.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from hourbridge.formats.bundle import Code

from .common import In, Money, Out, Skipped


class BillingRunIn(In):
    through: dt.date = Field(description="bill approved work up to this date")
    entity: Code | None = Field(None, description="only this legal entity")
    dry_run: bool = Field(False, description="compute the drafts, write nothing")



class DraftSummary(Out):
    id: int | None = Field(description="null in a dry run")
    entity: str
    contract: str
    customer: str
    period: str
    currency: str
    lines: int
    entries: int
    net: Money
    tax: Money
    total: Money



class ProposalFigures(Out):
    currency: str
    net: Money
    entries: str



class ProposalChange(Out):
    contract: str
    period: str
    change: Literal["added", "removed", "changed"]
    before: ProposalFigures | None
    after: ProposalFigures | None
    net_delta: Money | None = None
    entries_delta: int | None = None



class BillingReport(Out):
    through: dt.date
    dry_run: bool
    run_id: int | None
    invoices_created: int
    invoices: list[DraftSummary]
    entries_billed: int
    entries_held: int = 0
    totals: dict[str, Money]
    skipped: list[Skipped]
    changes_since_last_run: list[ProposalChange] = Field(
        [], description="per contract and period, what differs from the previous run over "
        "the same scope (dry or real)")

