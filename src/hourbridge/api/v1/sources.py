"""A tracker's own payload over HTTP: ``POST /v1/sources/{source}/time-entries?format=...``
takes a Harvest, Toggl, Clockify or Kimai response body as the tracker sent it (an entry, a
list, a page), through the same inbox as ``hourbridge ingest --format``."""

from __future__ import annotations

import enum
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hourbridge.domain.commands import IngestTimeEntries
from hourbridge.formats.bundle import Code

from ..auth import PrincipalDep
from ..bodygate import MAX_BODY_BYTES
from ..deps import HourbridgeDep
from ..problems import problem_responses
from ..schemas.common import IntakeReport
from ..security import scoped
from .intake import IdempotencyKeyHeader

router = APIRouter(prefix="/v1", tags=["time entries"], responses=problem_responses(422, 500),
                   dependencies=[scoped("time:write", entities=True)])


class TrackerFormat(enum.StrEnum):
    harvest = "harvest"
    toggl = "toggl"
    clockify = "clockify"
    kimai = "kimai"


_DESCRIPTION = """
Take a time tracker's own JSON (its API response or export: one entry, a list of entries, or a
page envelope such as Harvest's `{"time_entries": [...], "links": ...}`) through the inbox,
kept verbatim. The tracker's user, project and task ids map to Hourbridge codes through the
bundle's `aliases` of `source`; start instants become the employee's local work date. A row
with an id that has no alias is queued as `unknown_alias`, a running timer as `timer_running`;
a body with no time entry in it is kept and refused as `invalid_format`. 201 when new, 200 for
a payload taken before. A key limited to legal entities posts to their projects only: an id
whose alias names another entity's project is refused as `unknown_project`, as an unknown
project is.
"""


@router.post("/sources/{source}/time-entries", status_code=201,
             response_model=IntakeReport, summary="Ingest a tracker's own time entries",
             description=_DESCRIPTION,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {}}}}},
             responses={200: {"model": IntakeReport,
                              "description": "The same payload was taken before."},
                        **problem_responses(413, 415)})
async def ingest_tracker_payload(
    request: Request, response: Response, hb: HourbridgeDep, principal: PrincipalDep,
    source: Annotated[Code, Path(description="the intake source, the aliases' source")],
    tracker_format: Annotated[TrackerFormat, Query(alias="format",
                                                   description="the tracker")],
    idempotency_key: IdempotencyKeyHeader = None,
) -> dict[str, Any]:
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media.lower() != "application/json" and not media.lower().endswith("+json"):
        raise HTTPException(415, f"send application/json, not {media!r}")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    name = f"api-{idempotency_key or hashlib.sha256(body).hexdigest()[:16]}"
    payload = hb.tracker_payload(tracker_format.value, name=name, data=body)
    report = await run_in_threadpool(hb.handle, IngestTimeEntries(
        source, payload, entities=principal.entities))
    if report.duplicate_payload:
        response.status_code = 200
    result: dict[str, Any] = report.as_dict()
    return result
