"""Database errors that escape a route become problems, never 500s with internals.

Registered once on the app (``install``), so every route gets them. The database refused a
value (too long, out of range, not representable): 422 ``value_not_storable``. It contradicts
stored data (a duplicate, a missing reference, a check): 409 ``conflicts_with_stored_data``.
It is busy or unreachable: 503 with ``Retry-After``. Anything else: 500. The response says
nothing about SQL; the log line names the route, the error class and SQLSTATE only, never the
message (PostgreSQL's ``DETAIL`` repeats row values) nor the parameters.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError

from .problems import ProblemResponse, problem

log = logging.getLogger(__name__)
RETRY_AFTER = 2  # seconds, when the database is busy or unreachable


def _log(request: Request, exc: BaseException, status: int) -> None:
    orig = getattr(exc, "orig", None)
    log.warning("database refused %s %s -> %d: %s %s sqlstate=%s", request.method,
                request.url.path, status, type(exc).__name__, type(orig).__name__,
                getattr(orig, "sqlstate", None))


async def _on_database(request: Request, exc: Exception) -> ProblemResponse:
    if isinstance(exc, DataError):
        _log(request, exc, 422)
        return problem(422, "a value cannot be stored (too long, out of range or not "
                       "representable)", request=request, code="value_not_storable",
                       title="Invalid input")
    if isinstance(exc, IntegrityError):
        _log(request, exc, 409)
        return problem(409, "the request contradicts stored data (a duplicate, a missing "
                       "reference or a broken rule)", request=request,
                       code="conflicts_with_stored_data", title="Conflict")
    if isinstance(exc, OperationalError):
        _log(request, exc, 503)
        return problem(503, "the database is busy or unreachable; retry shortly",
                       request=request, code="database_unavailable",
                       title="Temporarily unavailable", headers={"Retry-After": str(RETRY_AFTER)})
    _log(request, exc, 500)
    return problem(500, "the server failed to handle the request; it has been logged",
                   request=request, code="internal_error", title="Internal server error")


async def _on_overflow(request: Request, exc: Exception) -> ProblemResponse:
    # SQLite's driver refuses an integer beyond 64 bits with a bare OverflowError.
    log.warning("number out of range %s %s -> 422", request.method, request.url.path)
    return problem(422, "a number is out of range (signed 64 bits)", request=request,
                   code="value_not_storable", title="Invalid input")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _on_database)
    app.add_exception_handler(OverflowError, _on_overflow)
