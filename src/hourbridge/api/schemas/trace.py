"""Response model of the ``api/v1/trace.py`` router: the fixed head of every trace; the
sections a kind has (inbox, entry, priced lines, invoice, entries, journal, deliveries) pass
through as the read model gives them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import Out

TraceKind = Literal["entry", "expense", "invoice", "credit-note", "event"]


class TraceStep(BaseModel):
    at: str = Field(description="UTC instant (a date for dates)")
    step: str
    actor: str | None
    detail: str


class LaterStep(BaseModel):
    recorded: bool = Field(description="false until this step is recorded by Hourbridge")
    items: list[dict[str, Any]]
    note: str


class Unbilled(BaseModel):
    reason: str = Field(description="a reason code (domain/problems.py)")
    message: str


class Trace(Out):
    model_config = ConfigDict(extra="allow")

    kind: str = Field(description="entry, expense, invoice, credit_note or event")
    id: int | None = Field(description="null for a reference never stored (its exceptions say "
                           "why)")
    ref: str
    found: bool
    timeline: list[TraceStep]
    erp_postings: LaterStep
    payments: LaterStep
    billed: bool | None = None
    why_not_billed: list[Unbilled] | None = None
