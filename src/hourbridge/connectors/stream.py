"""What a connector declares instead of coding: its streams (where records are, how they page,
which field is the cursor) and its field map (where each canonical field sits in a record).

A new tracker is a folder with a ``streams.py`` and a ``fields.py`` built from these values;
``http.py`` pages any declared stream and ``native.py`` maps any declared record, so neither
knows a tracker by name (the idea of Meltano SDK / dlt stream declarations; no code copied).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta


class PageStyle(enum.Enum):
    """How a tracker pages a list."""

    LINKS_NEXT = "links_next"  # body ``links.next`` (Harvest v2) or a ``Link: rel=next`` header
    PAGE_HEADERS = "page_headers"  # ``?page=N`` until ``X-Total-Pages`` (Kimai 2.x)
    BODY_PAGE = "body_page"  # ``page`` in a POSTed body until a short page (Clockify reports)
    UNPAGED = "unpaged"  # the whole list in one answer (Toggl v9 ``/me/time_entries``)
    QUERY_PAGE = "query_page"  # ``?page=N`` until a short page (Clockify's REST lists)


@dataclass(frozen=True, slots=True)
class Stream:
    """One list a connector pulls. ``records`` is the key of the list in a page envelope
    (``None``: the body is the list); ``cursor_param`` is the query parameter that asks for
    records changed since the stored cursor, and ``cursor_field`` the record field it comes
    from (the greatest value seen is the next cursor)."""

    name: str
    path: str
    primary_key: str
    cursor_field: str
    cursor_param: str
    page_style: PageStyle
    records: str | None = None
    page_size: int = 100
    page_size_param: str = "per_page"
    method: str = "GET"
    # the form the cursor takes in a request: "iso" (RFC 3339 UTC), "unix" (seconds),
    # "local" (ISO 8601 local time without an offset, Kimai's ``modified_after``)
    cursor_format: str = "iso"
    extra_params: tuple[tuple[str, str], ...] = ()
    # BODY_PAGE: the body object holding ``page``/``pageSize`` ("" = the body itself; Clockify
    # ``detailedFilter``), the fixed body fields, and the parameter closing the date range
    page_body_key: str = ""
    body_fields: tuple[tuple[str, str], ...] = ()
    range_end_param: str = ""
    # a cursor that filters by when work started (not when it changed) is moved back this far
    # so that late edits of recent entries are pulled again
    lookback: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class DirectoryList:
    """One of a tracker's own lists (users, projects, tasks) an alias is learnt from: the
    alias ``kind``, the list's stream, and where an item's name and code sit."""

    kind: str  # user | project | task
    stream: Stream
    name: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Where each field of a tracker's time entry sits (a dotted path into the record; ``None``:
    the tracker has no such field). How the worked time is expressed differs by tracker:
    ``hours`` (decimal hours), ``seconds`` (integer or ISO 8601 duration), or ``start`` with
    ``stop``. ``date`` is a local date the tracker already computed (Harvest's
    ``spent_date``); otherwise the date is the worker's local date of ``start``."""

    external_id: str
    user: str
    project: str
    task: str | None
    notes: str
    billable: str | None
    start: str | None = None
    stop: str | None = None
    date: str | None = None
    hours: str | None = None
    seconds: str | None = None
    running: str | None = None  # a flag set while a timer runs (Harvest ``is_running``)
    running_when_negative: bool = False  # Toggl: a running entry has a negative duration
    running_when_no_stop: bool = True  # Clockify, Kimai: ``end`` is null while running
    deleted: str | None = None  # set (a timestamp or a flag) once the source deleted the entry
    revision: str | None = None  # an update timestamp: newer revisions replace older ones
    # a grouped report row holds its entries under this key; the row's own fields (user,
    # project, task, notes) apply to each (Toggl Reports v3 ``search/time_entries``)
    group: str | None = None
    # the keys of a page envelope that hold the list of entries, tried in order
    envelopes: tuple[str, ...] = field(default=())
    # the entry's type and the types that are not work (Clockify ``type`` BREAK): refused
    # with the reason ``not_work``, never billed
    entry_type: str | None = None
    # the tracker's names for the user, project and task when its entries carry them: shown
    # with an unknown id and used to suggest the code it means
    user_name: str | None = None
    project_name: str | None = None
    task_name: str | None = None
    not_work: tuple[str, ...] = ()
