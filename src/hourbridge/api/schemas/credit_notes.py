"""Request and response models of the ``api/v1/credit_notes.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from hourbridge.domain.reasons import CREDIT_REASONS

from .common import Actor, CodedReason, Id, In, LineNo, Money, Out, ReasonCode, reason_codes


class CreditLineIn(In):
    line_no: LineNo
    seconds: int = Field(0, ge=0, description="billable seconds of the line to credit; 0 or "
                         "absent: all that is left of it (fee, milestone and expense lines "
                         "credit whole)")



class CreditNoteIn(CodedReason):
    reason_code_set = CREDIT_REASONS
    invoice_id: Id
    reason: ReasonCode = Field(description=reason_codes(CREDIT_REASONS,
                                                        "kept on the credit note"))
    mode: Literal["rebill", "write_off"] = Field(
        "rebill", description="rebill: the credited work bills again; write_off: it never will")
    lines: list[CreditLineIn] = Field([], max_length=10_000,
                                      description="empty: credit all that is still creditable")
    issue_date: dt.date | None = Field(None, description="default: the entity's today")
    actor: Actor = None



class CreditNoteReport(Out):
    id: int
    number: str
    invoice_id: Id
    invoice_number: str
    mode: str
    net: Money
    tax: Money
    total: Money
    currency: str = Field(description="the credited invoice's currency")
    seconds: int
    entries: int

