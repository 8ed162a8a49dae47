"""Intercompany charges: time an employee of one entity worked on another entity's project."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..auth import PrincipalDep
from ..deps import HourbridgeDep
from ..problems import problem_responses
from ..schemas.intercompany import IntercompanyReport
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["intercompany"], responses=problem_responses(422, 500),
                   dependencies=[scoped("ledger:read", entities=True)])


@router.get("/intercompany-charges", response_model=IntercompanyReport,
            summary="Intercompany charges and their totals",
            description="Charges recorded when cross-entity time was approved: totals per "
            "selling entity, buying entity, currency and status (`booked`, or `awaiting_fx` "
            "when the buyer's currency differs and its side is not booked yet), and one page "
            "of the charges. `period` (YYYY-MM) filters by work date.")
def list_charges(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$",
                                        description="month of the work date, YYYY-MM")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    report: dict[str, Any] = hb.queries.intercompany(period=period, limit=limit, offset=offset,
                                                     entities=principal.entities)
    if not principal.allows("people:read"):  # the seller's cost rate is pay data
        for charge in report["charges"]:
            charge["cost_rate"] = None
    return report
