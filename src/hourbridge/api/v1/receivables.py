"""Receivables: what customers owe, aged by days past due (payments read back from the
ERPs count)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from hourbridge.formats.bundle import Code

from ..auth import PrincipalDep
from ..deps import HourbridgeDep
from ..entities import one_entity
from ..problems import problem_responses
from ..schemas.receivables import Aging
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["receivables"], responses=problem_responses(422, 500),
                   dependencies=[scoped("invoices:read", entities=True)])


@router.get("/receivables/aging", response_model=Aging, response_model_by_alias=True,
            summary="Receivables aging by customer",
            description="Open amounts of issued invoices and credit notes on `as_of` (default "
            "today), by customer and currency, in buckets of days past the due date: current, "
            "1-30, 31-60, 61-90, 90+; totals per currency. Amounts are decimal strings.")
def receivables_aging(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    entity: Annotated[Code | None, Query(description="legal entity code")] = None,
    as_of: Annotated[dt.date | None, Query(description="the day to age on")] = None,
) -> dict[str, Any]:
    return hb.queries.receivables_aging(as_of or hb.clock().date(),
                                        one_entity(principal, entity))
