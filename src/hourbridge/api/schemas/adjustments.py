"""Request and response models of the ``api/v1/adjustments.py`` router."""

from __future__ import annotations

from pydantic import Field

from .common import Actor, EntryRef, In, Money, Out, Reason


class AdjustmentIn(In):
    entry_id: EntryRef = Field(description="the entry's id or SOURCE:EXTERNAL_ID")
    billable_seconds: int = Field(ge=0, le=86_400, description="new billable seconds")
    reason: Reason
    actor: Actor



class Adjustment(Out):
    id: int
    entry: int
    before_seconds: int
    after_seconds: int
    wip_delta: Money | None

