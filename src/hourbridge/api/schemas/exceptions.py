"""Request and response models of the ``api/v1/exceptions.py`` router."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import MAX_IDS_PER_REQUEST, Actor, Id, In, Out, Reason


class ExceptionItem(Out):
    id: int
    reason: str
    owner_role: str
    status: str
    source: str
    external_id: str | None
    location: str
    field: str
    message: str
    created_at: dt.datetime
    note: str | None



class ExceptionList(Out):
    by_reason: dict[str, int]
    items: list[ExceptionItem]
    has_more: bool = Field(description="true: another page follows (pass next_cursor)")
    next_cursor: str | None = Field(description="the `cursor` of the next page; null on "
                                    "the last page")



class RetryIn(In):
    ids: list[Id] = Field([], max_length=MAX_IDS_PER_REQUEST,
                           description="exception ids; empty retries every open one")
    actor: Actor = None



class ReasonChange(Out):
    was: str
    now: str


class RetryReport(Out):
    retried: int
    resolved: list[int]
    still_open: dict[str, str] = Field(
        description="exception id -> reason code, as found now (kept on the exception)")
    reasons: dict[str, int] = Field(
        default_factory=dict, description="still open rows by the reason found now")
    reason_changed: dict[str, ReasonChange] = Field(
        default_factory=dict, description="exception id -> its earlier and its new reason, "
        "where the cause changed since it was queued")



class DismissIn(In):
    ids: list[Id] = Field(min_length=1, max_length=MAX_IDS_PER_REQUEST)
    note: Reason = Field(description="why (kept with the record)")
    actor: Actor = None



class Dismissed(Out):
    dismissed: int

