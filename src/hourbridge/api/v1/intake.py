"""What the intake routes of every kind share (``/v1/time-entries``, ``/v1/expenses``): the
body (JSON rows or a CSV file), the source and Idempotency-Key parameters, the responses, and
taking the payload through the inbox."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hourbridge.domain.access import Principal
from hourbridge.formats.bundle import Code
from hourbridge.formats.timefile import TimeFile

from ..bodygate import MAX_BODY_BYTES
from ..deprecation import note_deprecated
from ..deps import HourbridgeDep
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST, IntakeReport
from ..schemas.time_entries import TimeEntriesIn
from ..security import requires

IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:\-]{1,200}$"

SourceQuery = Annotated[Code | None, Query(
    description="source system name; required with a `text/csv` body, and must match "
                "the body's `source` with JSON")]
IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY,
    description="client-chosen key, kept in the inbox file name")]


def intake_route(summary: str, description: str, request_body: dict[str, Any]
                 ) -> dict[str, Any]:
    """The ``router.post`` arguments of an intake route. It keeps to a limited key's legal
    entities (``take_payload``): rows naming another's project are refused as unknown."""
    return {
        "dependencies": [requires("time:write", entities=True)],
        "status_code": 201, "response_model": IntakeReport, "summary": summary,
        "description": description, "openapi_extra": {"requestBody": request_body},
        "responses": {200: {"model": IntakeReport,
                            "description": "The same payload was taken before; "
                                           "nothing was added."},
                      **problem_responses(413, 415)},
    }


async def take_payload(request: Request, response: Response, hb: HourbridgeDep,
                       principal: Principal, source: str | None,
                       idempotency_key: str | None, command: Callable[..., Any],
                       model: type[BaseModel] = TimeEntriesIn,
                       keys: tuple[str, ...] = ("time_entries", "entries"),
                       list_key: str = "time_entries") -> dict[str, Any]:
    """Read the body, take it through the inbox (``command``: the kind's intake command of
    the source and payload, kept to the principal's entities), answer its report: 201, or
    200 for a payload taken before."""
    source, payload, media_type = await read_intake_body(request, source, model, keys)
    name = f"api-{idempotency_key or hashlib.sha256(payload).hexdigest()[:16]}"
    report = await run_in_threadpool(hb.handle, command(
        source, TimeFile.from_bytes(name, media_type, payload, list_key=list_key),
        entities=principal.entities))
    if report.duplicate_payload:
        response.status_code = 200
    for warning in report.warnings:  # old column names: a Deprecation header too
        note_deprecated(warning)
    result: dict[str, Any] = report.as_dict()
    return result


def _invalid(loc: tuple[str | int, ...], kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": loc, "msg": message}])


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json_payload(body: bytes, model: type[BaseModel] = TimeEntriesIn,
                  keys: tuple[str, ...] = ("time_entries",)) -> tuple[str, bytes]:
    """(source, the rows list under the first of ``keys`` the body has (the name, then old
    names) as JSON bytes) from a JSON body, or a 422."""
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
    rows = next(data[key] for key in keys if key in data)  # validated: one of them is there
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
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
                           model: type[BaseModel] = TimeEntriesIn,
                           keys: tuple[str, ...] = ("time_entries",)
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
        body_source, payload = _json_payload(body, model, keys)
        if source is not None and source != body_source:
            raise _invalid(("query", "source"), "value_error",
                           f"?source={source} contradicts the body's source {body_source!r}")
        return body_source, payload, "application/json"
    raise HTTPException(415, f"send application/json or text/csv, not {media!r}")
