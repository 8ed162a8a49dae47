"""Liveness and readiness (outside ``/v1``: probes do not version)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import HourbridgeDep
from ..problems import problem, problem_responses
from ..schemas.health import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness",
            description="The process answers. Says nothing about the database.")
def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Ready, summary="Readiness",
            description="The database answers and carries a migrated schema.",
            responses=problem_responses(503))
def readyz(request: Request, hb: HourbridgeDep) -> Ready | JSONResponse:
    try:
        revision = hb.schema_revision()
    except Exception:
        return problem(503, "the database does not answer", request=request,
                       code="not_ready", title="Not ready", headers={"Retry-After": "5"})
    if revision is None:
        return problem(503, "the database has no schema yet (run `hourbridge db upgrade`)",
                       request=request, code="not_ready", title="Not ready",
                       headers={"Retry-After": "5"})
    return Ready(schema_revision=revision)
