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
    lines: int = Field(description="every line: hours, fees, milestones, retainer, "
                       "expenses, write-downs, adjustments")
    line_kinds: dict[str, int] = Field(description="lines per kind")
    entries: int
    net: Money
    tax: Money
    total: Money



class InvoicedFigures(Out):
    currency: str
    invoiced: Money = Field(description="live invoices of the contract and month, drafts "
                            "included")
    credited: Money = Field(description="credit notes against them")
    net: Money = Field(description="invoiced less credited")
    documents: str = Field(description="how many live invoices and credit notes")


class InvoicedChange(Out):
    contract: str
    period: str
    change: Literal["added", "removed", "changed", "rebilled"] = Field(
        description="added: nothing stood invoiced before; removed: nothing live stands now "
        "(voided); rebilled: invoiced and credited moved, the net did not; changed: the net "
        "moved")
    before: InvoicedFigures | None
    after: InvoicedFigures | None
    invoiced_delta: Money
    credited_delta: Money
    net_delta: Money


class NotInvoiced(Out):
    contract: str
    reason: str = Field(description="reason code: on_hold, missing_vat_id, over_cap, "
                        "no_rate, no_fx_rate, retainer_month_open, nothing_open, ...")
    message: str
    reasons: dict[str, int] = Field(description="every reason seen, with how many items")


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
    changes_since_last_run: list[InvoicedChange] = Field(
        [], description="per contract and month, what stood invoiced after the last real run "
        "over the same scope and what stands after this one (a dry run: as if written); dry "
        "runs are never the baseline")
    not_invoiced: list[NotInvoiced] = Field(
        [], description="every contract of the scope that produced no invoice, and why")

