"""Time entries: take canonical rows through the inbox; list what was stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from hourbridge.domain.commands import IngestTimeEntries
from hourbridge.domain.model import Approval, Billing
from hourbridge.formats.bundle import Code

from ..deps import HourbridgeDep, Limit, Offset
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST
from ..schemas.time_entries import TimeEntry
from .intake import IdempotencyKeyHeader, SourceQuery, intake_route, take_payload

router = APIRouter(prefix="/v1", tags=["time entries"], responses=problem_responses(422, 500))

_CSV_EXAMPLE = ("external_id,employee,project,task,work_date,hours,notes\n"
                "T-1,E1,P1,DEV,2026-07-01,7.5,Blueprint workshop\n")

_DESCRIPTION = f"""
Take time entries in the canonical format through the inbox, exactly as `hourbridge ingest`
does: the payload is kept, every row is validated and stored, or queued as an exception with
its reason code (see `GET /v1/exceptions`). Nothing is dropped.

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
                              source: SourceQuery = None,
                              idempotency_key: IdempotencyKeyHeader = None) -> dict[str, Any]:
    return await take_payload(request, response, hb, source, idempotency_key,
                              IngestTimeEntries)


@router.get("/time-entries", response_model=list[TimeEntry], summary="List time entries",
            description="Stored entries in id order, filtered by any of the parameters.")
def list_time_entries(
    hb: HourbridgeDep,
    employee: Annotated[Code | None, Query(description="employee id")] = None,
    project: Annotated[Code | None, Query(description="project code")] = None,
    approval: Annotated[Approval | None, Query(description="approval state")] = None,
    billing: Annotated[Billing | None, Query(description="billing state")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return hb.queries.entries(
        employee=employee, project=project,
        approval=approval.value if approval else None,
        billing=billing.value if billing else None, limit=limit, offset=offset)
