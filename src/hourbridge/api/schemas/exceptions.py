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



class RetryIn(In):
    ids: list[Id] = Field([], max_length=MAX_IDS_PER_REQUEST,
                           description="exception ids; empty retries every open one")
    actor: Actor = "api"



class RetryReport(Out):
    retried: int
    resolved: list[int]
    still_open: dict[str, str] = Field(description="exception id -> reason code")



class DismissIn(In):
    ids: list[Id] = Field(min_length=1, max_length=MAX_IDS_PER_REQUEST)
    note: Reason = Field(description="why (kept with the record)")
    actor: Actor



class Dismissed(Out):
    dismissed: int

