"""Request and response models of the ``api/v1/approvals.py`` router."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from hourbridge.formats.bundle import Code

from .common import MAX_IDS_PER_REQUEST, Actor, EntryRef, In, Money, Out, Skipped


class ApprovalIn(In):
    actor: Actor
    entry_ids: list[EntryRef] = Field(
        [], max_length=MAX_IDS_PER_REQUEST,
        description="ids or SOURCE:EXTERNAL_ID references; an unknown reference is 404")
    employee: Code | None = None
    project: Code | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None



class ApprovalReport(Out):
    approved: int
    billable: int
    skipped: list[Skipped]
    journal_keys: list[str]
    wip: dict[str, Money] = Field(description="currency -> value booked as unbilled revenue")

