"""Time entries: take canonical rows through the inbox; list what was stored."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hourbridge.domain.commands import IngestTimeEntries
from hourbridge.domain.model import Approval, Billing
from hourbridge.formats.bundle import Code
from hourbridge.formats.timefile import TimeFile

from ..bodygate import MAX_BODY_BYTES
from ..deps import HourbridgeDep, Limit, Offset
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST, IntakeReport
from ..schemas.time_entries import TimeEntriesIn, TimeEntry

router = APIRouter(prefix="/v1", tags=["time entries"], responses=problem_responses(422, 500))

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:\-]{1,200}$"
_CSV_EXAMPLE = ("external_id,employee,project,task,date,hours,notes\n"
                "T-1,E1,P1,DEV,2026-07-01,7.5,Blueprint workshop\n")

_DESCRIPTION = f"""
Take time entries in the canonical format through the inbox, exactly as `hourbridge ingest`
does: the payload is kept, every row is validated and stored, or queued as an exception with
its reason code (see `GET /v1/exceptions`). Nothing is dropped.

**Bodies.** `application/json`: `{{"source": "...", "entries": [{{row}}, ...]}}` (the entries
list is what the inbox keeps). `text/csv`: a canonical CSV file with a header line, and the
source in `?source=`. At most {MAX_ENTRIES_PER_REQUEST:,} entries per request.

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


def _invalid(loc: tuple[str | int, ...], kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": loc, "msg": message}])


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_payload(body: bytes, model: type[BaseModel] = TimeEntriesIn,
                  key: str = "entries") -> tuple[str, bytes]:
    """(source, the rows list under ``key`` as JSON bytes) from a JSON body, or a 422."""
    try:
        data = json.loads(body, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid(("body",), "json_invalid", f"not valid JSON: {exc}") from None
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    payload = json.dumps(data[key], ensure_ascii=False, separators=(",", ":"))
    return str(data["source"]), payload.encode("utf-8")  # validated: a Code


def _check_csv_rows(body: bytes) -> None:
    try:
        text = body.decode("utf-8-sig")
        records = sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error):
        return  # intake keeps the payload and queues it as invalid_format
    if records - 1 > MAX_ENTRIES_PER_REQUEST:
        raise _invalid(("body",), "too_long",
                       f"at most {MAX_ENTRIES_PER_REQUEST} rows per request, got {records - 1}")


async def read_intake_body(request: Request, source: str | None,
                           model: type[BaseModel] = TimeEntriesIn, key: str = "entries"
                           ) -> tuple[str, bytes, str]:
    """(source, payload to keep, media type) of an intake request: a CSV body as it is (the
    source from ``?source=``), or the rows list of a JSON body; 413, 415 or 422 otherwise."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    media = media.lower()
    if media == "text/csv":
        if source is None:
            raise _invalid(("query", "source"), "missing", "a CSV body needs ?source=")
        _check_csv_rows(body)
        return source, body, "text/csv"
    if media == "application/json" or media.endswith("+json"):
        body_source, payload = _json_payload(body, model, key)
        if source is not None and source != body_source:
            raise _invalid(("query", "source"), "value_error",
                           f"?source={source} contradicts the body's source {body_source!r}")
        return body_source, payload, "application/json"
    raise HTTPException(415, f"send application/json or text/csv, not {media!r}")


@router.post(
    "/time-entries", status_code=201, response_model=IntakeReport,
    summary="Ingest time entries (JSON or CSV)", description=_DESCRIPTION,
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={200: {"model": IntakeReport, "description": "The same payload was taken before; "
                                                           "nothing was added."},
               **problem_responses(413, 415)},
)
async def ingest_time_entries(
    request: Request,
    response: Response,
    hb: HourbridgeDep,
    source: Annotated[Code | None, Query(
        description="source system name; required with a `text/csv` body, and must match "
                    "the body's `source` with JSON")] = None,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY,
        description="client-chosen key, kept in the inbox file name")] = None,
) -> dict[str, Any]:
    source, payload, media_type = await read_intake_body(request, source)
    key = idempotency_key or hashlib.sha256(payload).hexdigest()[:16]
    command = IngestTimeEntries(source, TimeFile.from_bytes(f"api-{key}", media_type, payload))
    report = await run_in_threadpool(hb.handle, command)
    if report.duplicate_payload:
        response.status_code = 200
    result: dict[str, Any] = report.as_dict()
    return result


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
