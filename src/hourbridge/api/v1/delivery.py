"""Delivery: dead letters, and draining the in-process worker."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import HourbridgeDep, Limit
from ..problems import problem_responses
from ..schemas.delivery import DeadLetter, DrainStats

router = APIRouter(prefix="/v1", tags=["delivery"], responses=problem_responses(500))


@router.get("/dead-letters", response_model=list[DeadLetter], summary="Dead letters",
            responses=problem_responses(422),
            description="Events that failed for good, with their last error.")
def dead_letters(hb: HourbridgeDep, limit: Limit = 100) -> list[dict[str, Any]]:
    return hb.queries.dead_letters(limit=limit)


@router.post("/worker/drain", response_model=DrainStats, summary="Drain the worker",
             description="Admin convenience: deliver every outbox event that is due now with "
             "the in-process worker, and say how it went. Safe to repeat.")
def drain(hb: HourbridgeDep) -> dict[str, int]:
    return hb.worker.drain().as_dict()
