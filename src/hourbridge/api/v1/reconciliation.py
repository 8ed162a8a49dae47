"""``GET /v1/reconciliation``: the same report as ``hourbridge reconcile --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..auth import PrincipalDep
from ..deps import HourbridgeDep
from ..entities import one_entity
from ..problems import problem_responses
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["kpis"], responses=problem_responses(422, 500),
                   dependencies=[scoped("kpis:read", entities=True)])


@router.get("/reconciliation", summary="Reconcile a month of hours",
            description="Per source, for the month of the work date: hours in the tracker (as "
            "last synced: entries taken plus rows still in the exception queue) vs in "
            "Hourbridge vs invoiced vs posted to an ERP, each difference with the entries, "
            "exceptions or invoices that cause it (at most `limit` listed, with the count). "
            "`entity` keeps to one legal entity's entries, exceptions and invoices; a key "
            "limited to one gets its own, one limited to several names it.")
def reconciliation(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    period: Annotated[str, Query(max_length=7, description="YYYY-MM")],
    source: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    entity: Annotated[str | None, Query(max_length=64, description="one legal entity")]
    = None,
) -> dict[str, Any]:
    result: dict[str, Any] = hb.queries.reconciliation(
        period, source=source, limit=limit, entity=one_entity(principal, entity))
    return result
