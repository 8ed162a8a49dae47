"""Request and response models of the ``api/v1/delivery.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from .common import Actor, Id, In, Note, Out

DeadReason = Literal["refused", "attempts_exhausted", "no_handler", "subscription_disabled"]


class DeadLetter(Out):
    id: int
    key: str
    type: str
    subject: str
    attempts: int
    reason: DeadReason | None
    last_error: str | None
    processed_at: dt.datetime | None


class Replay(Out):
    replayed_by: str
    replayed_at: dt.datetime
    note: str
    dead_reason: str | None
    last_error: str | None


class DeadLetterDetail(Out):
    id: int
    key: str
    type: str
    subject: str
    status: str
    attempts: int
    reason: DeadReason | None
    last_error: str | None
    created_at: dt.datetime
    processed_at: dt.datetime | None
    payload: dict[str, Any]
    replays: list[Replay]


class ReplayIn(In):
    ids: list[Id] = Field(default_factory=list, max_length=10_000,
                          description="dead letters to replay")
    reason: DeadReason | None = Field(None, description="replay those that died of it")
    since: dt.datetime | None = Field(None, description="replay those that died at or after")
    note: Note = ""
    actor: Actor = None


class ReplayOut(Out):
    replayed: list[int]
    not_dead: list[int]
    by: str
    at: dt.datetime


class DrainStats(Out):
    delivered: int
    retried: int
    dead: int
