"""KPIs: ``GET /v1/kpis``, the same report as ``hourbridge kpis --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hourbridge.observability.kpis import kpi_report

from ..auth import PrincipalDep
from ..deps import HourbridgeDep
from ..entities import one_entity
from ..problems import problem_responses
from ..schemas.kpis import Kpis
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["kpis"], responses=problem_responses(422, 500),
                   dependencies=[scoped("kpis:read", entities=True)])


@router.get("/kpis", response_model=Kpis, response_model_by_alias=True, summary="KPIs",
            description="Time to invoice (p50/p90 by entity and customer), unbilled approved "
            "hours and WIP value with aging buckets, exception rate and time to resolve, "
            "utilization, realization, effective rate, margin by project, customer and "
            "entity, and DSO, for a period (formulas: docs/KPIS.md). An empty period gives "
            "zeros, not an error.")
def kpis(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    period: Annotated[str | None, Query(max_length=7, description="YYYY-MM, YYYY-Qn or YYYY; "
                                        "default: from the first work date through today")]
    = None,
    entity: Annotated[str | None, Query(max_length=64, description="one legal entity")]
    = None,
) -> dict[str, Any]:
    return kpi_report(hb.queries, period, one_entity(principal, entity), hb.clock().date())
