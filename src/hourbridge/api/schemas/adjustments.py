"""Request and response models of the ``api/v1/adjustments.py`` router."""

from __future__ import annotations

from pydantic import Field

from .common import Actor, In, Money, Out


class AdjustmentIn(In):
    entry_id: int
    billable_seconds: int = Field(ge=0, le=86_400, description="new billable seconds")
    reason: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    actor: Actor



class Adjustment(Out):
    id: int
    entry: int
    before_seconds: int
    after_seconds: int
    wip_delta: Money | None

