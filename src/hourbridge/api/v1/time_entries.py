"""Time entries: take canonical rows through the inbox; list what was stored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from hourbridge.domain.commands import IngestTimeEntries
from hourbridge.domain.model import Approval, Billing
from hourbridge.errors import NotFound
from hourbridge.formats.bundle import Code

from ..auth import PrincipalDep
from ..deps import After, HourbridgeDep, Limit, Offset
from ..entities import projected
from ..pages import Cursor, Page, UpdatedSince, page_of
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST
from ..schemas.time_entries import TimeEntry, TimeEntryDetail
from ..security import scoped
from .intake import IdempotencyKeyHeader, SourceQuery, intake_route, take_payload

router = APIRouter(prefix="/v1", tags=["time entries"], responses=problem_responses(422, 500),
                   dependencies=[scoped("time:read", "time:write", entities=True)])

_CSV_EXAMPLE = ("external_id,employee,project,task,work_date,hours,notes\n"
                "T-1,E1,P1,DEV,2026-07-01,7.5,Blueprint workshop\n")

_DESCRIPTION = f"""
Take time entries in the canonical format through the inbox, exactly as `hourbridge ingest`
does: the payload is kept, every row is validated and stored, or queued as an exception with
its reason code (see `GET /v1/exceptions`). Nothing is dropped. A key limited to legal
entities posts to their projects: another entity's project is `unknown_project`, and another
entity's stored entry is never revised or deleted (`duplicate_key`).

**Bodies.** `application/json`: `{{"source": "...", "time_entries": [{{row}}, ...]}}` (the
list is what the inbox keeps; the old name `entries` is read for one more version, with a
`Deprecation` response header, as is a row's `date` for `work_date`). `text/csv`: a
canonical CSV file with a header line, and the source in `?source=`. At most
{MAX_ENTRIES_PER_REQUEST:,} entries per request.

**Status.** 201 when the payload is new; 200 when the very same payload was taken before
(`duplicate_payload: true`, nothing added, `inbox_id` of the first). A row already stored under
its `external_id` is unchanged or a new revision, never a second entry.

**Idempotency-Key.** Optional; kept as part of the inbox file name (`api-<key>`), so the
payload's origin can be traced. A retry with the same key and body gets the first response
again (header `Idempotent-Replayed: true`); the same key with a different body is refused
(422). Without a key, the payload's SHA-256 fingerprint still recognises a resent body (200,
nothing added).
"""

_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/TimeEntriesIn"}},
        "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
    },
}


@router.post("/time-entries", **intake_route("Ingest time entries (JSON or CSV)", _DESCRIPTION,
                                             _REQUEST_BODY))
async def ingest_time_entries(request: Request, response: Response, hb: HourbridgeDep,
                              principal: PrincipalDep, source: SourceQuery = None,
                              idempotency_key: IdempotencyKeyHeader = None) -> dict[str, Any]:
    return await take_payload(request, response, hb, principal, source, idempotency_key,
                              IngestTimeEntries)


_LIST_DESCRIPTION = """Stored entries in id order, filtered by any of the parameters, each with
its open WIP and the invoices it is on (as `hourbridge entries list`). A page
(`{"items", "has_more", "next_cursor"}`): pass `next_cursor` as `cursor` for the next one (a
page with more after it also answers a `Link: <...>; rel="next"` header, RFC 8288);
`updated_since` keeps the entries changed since an instant. `GET /v1/time-entries` is the same
list under its earlier path, deprecated (`Deprecation`, `Sunset` headers)."""


@router.get("/entries", response_model=Page[TimeEntry], summary="List time entries",
            description=_LIST_DESCRIPTION)
@router.get("/time-entries", response_model=Page[TimeEntry], summary="List time entries",
            description=_LIST_DESCRIPTION, deprecated=True)
def list_time_entries(
    request: Request,
    response: Response,
    hb: HourbridgeDep,
    principal: PrincipalDep,
    source: Annotated[Code | None, Query(description="source system")] = None,
    external_id: Annotated[str | None, Query(min_length=1, max_length=128,
                                             description="id at the source")] = None,
    state: Annotated[Literal["live", "deleted"] | None, Query(
        description="deleted: the source deleted it (the row is kept)")] = None,
    employee: Annotated[Code | None, Query(description="employee id")] = None,
    project: Annotated[Code | None, Query(description="project code")] = None,
    customer: Annotated[Code | None, Query(description="customer id (its projects)")] = None,
    approval: Annotated[Approval | None, Query(description="approval state")] = None,
    billing: Annotated[Billing | None, Query(description="billing state")] = None,
    # `from`/`to` as everywhere (docs/GLOSSARY.md); Python needs other names for them
    date_from: Annotated[dt.date | None, Query(alias="from",
                                               description="first work date")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to", description="last work date")] = None,
    invoice: Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                         description="only entries on this invoice")] = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    after: After = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = hb.queries.entries(entities=principal.entities,
        source=source, external_id=external_id, state=state, employee=employee,
        project=project, customer=customer, approval=approval.value if approval else None,
        billing=billing.value if billing else None, date_from=date_from, date_to=date_to,
        invoice=invoice, after=int(cursor) if cursor else after, limit=limit + 1,
        offset=offset, updated_since=updated_since)
    page = page_of(projected(principal, "time_entry", rows), limit, "id")
    if page["has_more"]:
        following = request.url.remove_query_params(["offset", "after"]).include_query_params(
            cursor=page["next_cursor"])
        response.headers["Link"] = f'<{following}>; rel="next"'
    return page


@router.get("/entries/{entry}", response_model=TimeEntryDetail, summary="One time entry",
            responses=problem_responses(404),
            description="One entry by its id or `SOURCE:EXTERNAL_ID` (e.g. `harvest:T-1`), "
            "as `hourbridge entries show`; an unknown reference is 404, an ambiguous one "
            "422 (give the id).")
def get_time_entry(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    entry: Annotated[str, Path(min_length=1, max_length=200,
                               description="id, or SOURCE:EXTERNAL_ID")],
) -> dict[str, Any]:
    [entry_id] = hb.queries.entry_ids([entry])
    row = hb.queries.entry(entry_id)
    if row is None or not principal.sees(row["entity"]):
        raise NotFound("entry", entry)  # another entity's entry: as an unknown one
    return projected(principal, "time_entry", [row])[0]
