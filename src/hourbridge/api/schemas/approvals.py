"""Request and response models of the ``api/v1/approvals.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from hourbridge.formats.bundle import Code

from ..deprecation import RANGE_RENAMES, old_names_used, renamed_field
from .common import MAX_IDS_PER_REQUEST, Actor, EntryRef, In, Money, Out, Skipped


class ApprovalIn(In):
    actor: Actor = None
    entry_ids: list[EntryRef] = Field(
        [], max_length=MAX_IDS_PER_REQUEST,
        description="ids or SOURCE:EXTERNAL_ID references; an unknown reference is 404")
    employee: Code | None = None
    project: Code | None = None
    # one name per concept (docs/GLOSSARY.md): `from`/`to` as on the command line
    date_from: dt.date | None = renamed_field("from", "date_from", description="first work date")
    date_to: dt.date | None = renamed_field("to", "date_to", description="last work date")

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return old_names_used(data, RANGE_RENAMES)



class ApprovalReport(Out):
    approved: int
    billable: int
    skipped: list[Skipped]
    journal_keys: list[str]
    wip: dict[str, Money] = Field(description="currency -> value booked as unbilled revenue")

