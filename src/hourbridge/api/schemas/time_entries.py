"""Request and response models of the ``api/v1/time_entries.py`` router."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from hourbridge.formats.bundle import Code

from ..deprecation import old_names_used, renamed_field
from .common import (
    MAX_ENTRIES_PER_REQUEST,
    In,
    IntakeRowIn,
    Money,
    Out,
    StoredRowOut,
    Text,
    TextOrBoolean,
    TextOrInteger,
    TextOrNumber,
)


class TimeEntryRow(IntakeRowIn):
    """One row in the canonical time-entry format (the same fields as the CSV header).

    Only JSON types are checked here; whether a row is acceptable (required fields, a known
    project, an assigned employee, a rate in force, an open period...) is decided by intake,
    and a refused row goes to the exception queue with its reason, like a row of any
    tracker's file. Other fields are kept with the row.
    """

    work_date: Text = Field(None, description="work date, YYYY-MM-DD (required)",
                            examples=["2026-07-01"])
    date: Text = Field(None, description="the old name of `work_date`, read for one more "
                       "version (the report's `warnings` says so)",
                       json_schema_extra={"deprecated": True})
    hours: TextOrNumber = Field(
        None, description="worked hours; give exactly one of hours, minutes, seconds. "
        "Prefer a string (\"7.5\"); a JSON number is taken as its shortest decimal text.",
        examples=["7.5"])
    minutes: TextOrNumber = None
    seconds: TextOrInteger = None
    notes: Text = None
    billable: TextOrBoolean = Field(None, description="default true")
    revision: TextOrInteger = Field(None, description="positive integer, default 1")
    deleted: TextOrBoolean = Field(
        None, description="true: the source deleted the entry (a tombstone; only external_id "
        "and revision are read). Work already invoiced becomes a correction proposal.")



class TimeEntriesIn(In):
    source: Code = Field(description="source system name, part of every entry's identity",
                         examples=["harvest"])
    time_entries: list[TimeEntryRow] = renamed_field(
        "time_entries", "entries", ..., min_length=1, max_length=MAX_ENTRIES_PER_REQUEST,
        description="the rows, as under `time_entries` in a JSON file")

    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data: Any) -> Any:
        return old_names_used(data, (("time_entries", "entries"),))



class EntryInvoice(Out):
    id: int
    number: str | None = Field(description="none while a draft")
    status: str


class TimeEntry(StoredRowOut):
    task: str
    entity: str | None = None
    contract: str | None = None
    work_date: dt.date
    worked_seconds: int
    billable_seconds: int
    billable: bool
    notes: str | None = Field(description="null without the scope `people:read` or "
                              "`time:approve` (a person's own words)")
    approval: str
    billing: str
    locked: bool = False
    wip_amount: Money | None = None
    wip_currency: str | None = None
    billed_seconds: int = 0
    written_off_seconds: int = 0
    deleted_at: dt.datetime | None = Field(None, description="when the source deleted it")
    wip_open: Money | None = Field(
        None, description="WIP booked at approval less what invoicing relieved, in "
        "wip_currency")
    invoices: list[EntryInvoice] = Field(
        default_factory=list, description="the invoices (not void, not credit notes) with a "
        "line billing this entry")


class TimeEntryDetail(TimeEntry):
    inbox_id: int
    approved_at: dt.datetime | None = None
    approved_by: str | None = None
    rejected_at: dt.datetime | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None

