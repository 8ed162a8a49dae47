"""Request and response models of the ``api/v1/corrections.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from .common import Actor, In, Money, Note, Out


class Correction(Out):
    id: int
    entry: int
    source: str
    external_id: str
    kind: Literal["changed", "deleted"]
    status: Literal["open", "applied", "rejected", "superseded"]
    policy: str = Field(description="the contract's correction policy when proposed")
    action: str = Field(description="proposed (or, once applied, done): credit_and_rebill, "
                        "next_invoice_adjustment, redraft or revise")
    invoice: int | None = Field(description="the invoice affected")
    invoice_number: str | None
    line: int | None
    line_no: int | None
    billed_seconds: int = Field(description="the entry's seconds on the affected invoice(s)")
    currency: str
    old_amount: Money = Field(description="what the invoice(s) carry for the entry")
    new_amount: Money = Field(description="the new revision priced")
    difference: Money
    before: dict[str, Any]
    after: dict[str, Any] | None = Field(description="null for a deletion")
    changes: dict[str, list[Any]] = Field(description="field -> [old, new]")
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    decided_by: str | None = None
    note: str | None = None
    outcome: dict[str, Any] | None = Field(None, description="credit notes issued, drafts "
                                           "voided, the journal key")
    adjustment_invoice: int | None = Field(None, description="next_invoice_adjustment: the "
                                           "invoice whose line carries the difference")
    adjustment_line_no: int | None = None



class CorrectionDecisionIn(In):
    note: Note = Field("", description="why (required to reject)")
    actor: Actor = None



class CorrectionReport(Out):
    id: int
    status: str
    action: str
    outcome: dict[str, Any]

