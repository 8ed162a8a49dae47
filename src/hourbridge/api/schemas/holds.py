"""Request and response models of the ``api/v1/holds.py`` router."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import Actor, In, Out


class HoldIn(In):
    scope: Literal["customer", "project", "contract", "entry"]
    ref: Annotated[str, Field(min_length=1, max_length=128,
                              description="customer id, project code, contract id or entry id")]
    reason: Literal["missing_po", "credit_hold", "dispute", "other"]
    note: str = Field("", max_length=2000)
    owner_role: str | None = Field(None, max_length=64,
                                   description="who releases it (default by reason)")
    actor: Actor



class HoldReleaseIn(In):
    note: str = Field(min_length=1, max_length=2000, pattern=r"\S",
                      description="why it is released (kept with the hold)")
    actor: Actor



class Hold(Out):
    id: int
    scope: str
    ref: str
    reason: str
    owner_role: str
    note: str
    placed_at: str
    placed_by: str
    released_at: str | None = None
    released_by: str | None = None
    release_note: str | None = None

