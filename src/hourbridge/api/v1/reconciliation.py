"""``GET /v1/reconciliation``: the same report as ``hourbridge reconcile --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..deps import HourbridgeDep
from ..problems import problem_responses
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["kpis"], responses=problem_responses(422, 500),
                   dependencies=[scoped("kpis:read")])


@router.get("/reconciliation", summary="Reconcile a month of hours",
            description="Per source, for the month of the work date: hours in the tracker (as "
            "last synced: entries taken plus rows still in the exception queue) vs in "
            "Hourbridge vs invoiced vs posted to an ERP, each difference with the entries, "
            "exceptions or invoices that cause it (at most `limit` listed, with the count).")
def reconciliation(
    hb: HourbridgeDep,
    period: Annotated[str, Query(max_length=7, description="YYYY-MM")],
    source: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    result: dict[str, Any] = hb.queries.reconciliation(period, source=source, limit=limit)
    return result
