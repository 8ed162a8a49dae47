"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error response, whatever raised it, has ``type``, ``title``, ``status``, ``detail`` and
``instance``, plus ``code`` (a stable machine-readable reason). Validation errors add
``errors``: one item per reason, each with a JSON ``pointer`` into the request body (or null),
the ``location`` (body, query, header, path), the ``field`` and the ``reason``.

Our exception tree maps to statuses here and nowhere else: ``InvalidInput`` 422, ``NotFound``
404, ``SignatureRefused`` 401, ``SegregationRefused`` 403, ``Conflict`` 409, any other
``Permanent`` 400, ``Retryable`` 503 with ``Retry-After``;
anything unexpected is a 500 that says nothing about the internals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hourbridge.errors import (
    Conflict,
    HourbridgeError,
    InvalidInput,
    NotFound,
    Permanent,
    Retryable,
    SegregationRefused,
    SignatureRefused,
    UnbalancedJournal,
)
from hourbridge.formats.checks import strip_tags

from .schemas.common import Problem, ProblemItem

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://hourbridge.dev/problems/"
DEFAULT_RETRY_AFTER = 5  # seconds, when a Retryable error does not say
# Where an InvalidInput problem found in a request body says it was (see to_domain's origins).
BODY_ORIGIN = "request"
_LOCATIONS = ("body", "query", "path", "header", "cookie")
_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


class ProblemResponse(JSONResponse):
    media_type = MEDIA_TYPE


def problem(status: int, detail: str, *, request: Request | None = None,
            code: str | None = None, title: str | None = None,
            errors: Sequence[ProblemItem] | None = None,
            headers: dict[str, str] | None = None) -> ProblemResponse:
    """One problem response. ``code`` names the problem type; without it, ``about:blank``."""
    phrase = HTTPStatus(status).phrase
    body = Problem(
        type=f"{TYPE_BASE}{code.replace('_', '-')}" if code else "about:blank",
        title=title or phrase,
        status=status,
        detail=detail,
        instance=request.url.path if request is not None else None,
        code=code or phrase.lower().replace(" ", "_"),
        errors=list(errors) if errors is not None else None,
    )
    content = body.model_dump(mode="json")
    for optional in ("instance", "errors"):
        if content[optional] is None:
            del content[optional]
    return ProblemResponse(content, status_code=status, headers=headers)


# --- locations -----------------------------------------------------------------------------
def _escape(part: object) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def json_pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer as a URI fragment (the RFC 9457 examples' form): ``#/entities/0/code``."""
    return "#" + "".join(f"/{_escape(p)}" for p in parts)


def dotted(parts: Iterable[object]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _path_parts(path: str) -> list[str | int]:
    """``entities[0].tax_rates.standard`` -> ["entities", 0, "tax_rates", "standard"]."""
    parts: list[str | int] = []
    for index, name in _PATH_TOKEN.findall(path):
        parts.append(int(index) if index else name)
    return parts


def validation_items(errors: Sequence[Any]) -> list[ProblemItem]:
    """Pydantic/FastAPI error dicts (``loc``, ``msg``, ``type``) to problem items."""
    items = []
    for err in errors:
        loc = strip_tags(tuple(err.get("loc") or ()))
        location = str(loc[0]) if loc and loc[0] in _LOCATIONS else "body"
        rest = loc[1:] if loc and loc[0] in _LOCATIONS else loc
        items.append(ProblemItem(
            pointer=json_pointer(rest) if location == "body" else None,
            location=location,
            field=dotted(rest),
            reason=str(err.get("msg", "invalid")),
            code=str(err.get("type", "invalid")),
        ))
    return items


def invalid_input_items(exc: InvalidInput) -> list[ProblemItem]:
    """Domain problems (``code``, ``message``, ``where``, ``field``) to problem items.

    A problem found in the request body says ``request: entities[0].currency``; that becomes a
    pointer. Anything else keeps its ``where`` as the field, without a pointer.
    """
    items = []
    for p in exc.problems:
        where = str(getattr(p, "where", "") or "")
        field = str(getattr(p, "field", "") or "")
        pointer = None
        if where == BODY_ORIGIN or where.startswith(f"{BODY_ORIGIN}:"):
            path = where[len(BODY_ORIGIN):].lstrip(":").strip()
            pointer = json_pointer(_path_parts(path))
            field = path or field
        items.append(ProblemItem(
            pointer=pointer,
            location="body",
            field=field or where,
            reason=str(getattr(p, "message", p)),
            code=str(getattr(p, "code", "invalid")),
        ))
    return items


def _summary(items: Sequence[ProblemItem], fallback: str) -> str:
    if not items:
        return fallback
    first = items[0]
    where = f"{first.field}: " if first.field else ""
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return f"{where}{first.reason}{more}"


# --- handlers ------------------------------------------------------------------------------
async def _on_validation(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc.errors())
    return problem(422, _summary(items, "the request is not valid"), request=request,
                   code="validation_failed", title="Request validation failed", errors=items)


async def _on_http(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    return problem(exc.status_code, detail, request=request, headers=exc.headers)


async def _on_hourbridge(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HourbridgeError)
    if isinstance(exc, InvalidInput):
        items = invalid_input_items(exc)
        return problem(422, str(exc), request=request, code=exc.code, title="Invalid input",
                       errors=items)
    if isinstance(exc, SignatureRefused):
        return problem(401, str(exc), request=request, code=exc.code,
                       title="Webhook signature refused")
    if isinstance(exc, SegregationRefused):
        return problem(403, str(exc), request=request, code=exc.code, title="Forbidden")
    if isinstance(exc, NotFound):
        return problem(404, str(exc), request=request, code=exc.code, title="Not found")
    if isinstance(exc, Conflict):
        return problem(409, str(exc), request=request, code=exc.code, title="Conflict")
    if isinstance(exc, Retryable):
        wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RETRY_AFTER
        return problem(503, str(exc), request=request, code=exc.code,
                       title="Temporarily unavailable",
                       headers={"Retry-After": str(max(1, math.ceil(wait)))})
    if isinstance(exc, Permanent) and not isinstance(exc, UnbalancedJournal):
        return problem(400, str(exc), request=request, code=exc.code, title="Bad request")
    return await _on_unexpected(request, exc)  # our own bug (e.g. an unbalanced journal)


async def _on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    # The server logs the exception (Starlette re-raises it after this response); the client
    # learns nothing about the internals.
    return problem(500, "the server failed to handle the request; it has been logged",
                   request=request, code="internal_error", title="Internal server error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(HourbridgeError, _on_hourbridge)
    app.add_exception_handler(Exception, _on_unexpected)


# --- OpenAPI -------------------------------------------------------------------------------
_DESCRIPTIONS = {
    400: "The request cannot succeed as sent.",
    404: "No such resource.",
    409: "The request contradicts the current state.",
    413: "The request is too large.",
    415: "The body's media type is not accepted here.",
    422: "The request is not valid; `errors` lists every reason with its location.",
    500: "Unexpected server failure (nothing about the internals is disclosed).",
    503: "Temporarily unavailable; retry after `Retry-After` seconds.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem bodies (media type fixed up in the app)."""
    return {s: {"model": Problem, "description": _DESCRIPTIONS.get(s, HTTPStatus(s).phrase)}
            for s in statuses}


def fix_openapi_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses documented with the ``Problem`` model are ``application/problem+json``."""
    ref = "#/components/schemas/Problem"
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                body = content.get("application/json")
                if status[0] in "45" and body and body.get("schema", {}).get("$ref") == ref:
                    content[MEDIA_TYPE] = content.pop("application/json")
    return schema
