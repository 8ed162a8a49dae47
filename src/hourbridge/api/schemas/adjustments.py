"""Request and response models of the ``api/v1/adjustments.py`` router."""

from __future__ import annotations

from pydantic import Field

from hourbridge.domain.reasons import ADJUSTMENT_REASONS

from .common import Actor, CodedReason, EntryRef, Money, Out, ReasonCode, reason_codes


class AdjustmentIn(CodedReason):
    reason_code_set = ADJUSTMENT_REASONS
    entry_id: EntryRef = Field(description="the entry's id or SOURCE:EXTERNAL_ID")
    billable_seconds: int = Field(ge=0, le=86_400, description="new billable seconds")
    reason: ReasonCode = Field(description=reason_codes(ADJUSTMENT_REASONS,
                                                        "kept with the adjustment"))
    actor: Actor = None



class Adjustment(Out):
    id: int
    entry: int
    before_seconds: int
    after_seconds: int
    wip_delta: Money | None

