"""Liveness and readiness (outside ``/v1``: probes do not version)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hourbridge.dbsetup import schema_state

from ..deps import HourbridgeDep
from ..problems import problem, problem_responses
from ..schemas.health import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness",
            description="The process answers. Says nothing about the database.")
def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Ready, summary="Readiness",
            description="The database answers and carries the schema this server knows; "
            "otherwise 503 with `code` `not_ready` (no answer), `schema_missing` or "
            "`schema_behind` (run `hourbridge db upgrade`) or `schema_ahead` (a newer "
            "server migrated it).",
            responses=problem_responses(503))
def readyz(request: Request, hb: HourbridgeDep) -> Ready | JSONResponse:
    try:
        schema = schema_state(hb)
    except Exception:
        return problem(503, "the database does not answer", request=request,
                       code="not_ready", title="Not ready", headers={"Retry-After": "5"})
    why = {"missing": "the database has no schema yet (run `hourbridge db upgrade`)",
           "behind": f"the database has schema {schema.current}, older than {schema.head} "
                     "(run `hourbridge db upgrade`)",
           "ahead": f"the database has schema {schema.current}, newer than this server "
                    f"knows ({schema.head})"}.get(schema.state)
    if why is not None:
        return problem(503, why, request=request, code=f"schema_{schema.state}",
                       title="Not ready", headers={"Retry-After": "5"})
    return Ready(schema_revision=schema.head, schema_state="current")
