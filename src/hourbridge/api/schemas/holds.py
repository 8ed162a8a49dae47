"""Request and response models of the ``api/v1/holds.py`` router."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Actor, In, Note, Out, OwnerRole, Reason, Ref


class HoldIn(In):
    scope: Literal["customer", "project", "contract", "entry"]
    ref: Ref = Field(description="customer id, project code, contract id, or entry id or "
                     "SOURCE:EXTERNAL_ID")
    reason: Literal["missing_po", "credit_hold", "dispute", "other"]
    note: Note = ""
    owner_role: OwnerRole | None = Field(None, description="who releases it (default by reason)")
    actor: Actor = None



class HoldReleaseIn(In):
    note: Reason = Field(description="why it is released (kept with the hold)")
    actor: Actor = None



class Hold(Out):
    id: int
    scope: str
    ref: str
    entity: str | None = Field(None, description="legal entity of what is held (null: it "
                               "no longer exists)")
    reason: str
    owner_role: str
    note: str
    placed_at: str
    placed_by: str
    released_at: str | None = None
    released_by: str | None = None
    release_note: str | None = None

