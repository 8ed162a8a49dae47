"""Write-ups and write-downs of billable time before it is billed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks

from hourbridge.domain.commands import AdjustBillable

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, drain_later
from ..entities import entry_visible_or_404
from ..problems import problem_responses
from ..schemas.adjustments import Adjustment, AdjustmentIn
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["approvals"], responses=problem_responses(422, 500),
                   dependencies=[scoped("billing:run", entities=True)])


@router.post(
    "/adjustments", status_code=201, response_model=Adjustment,
    summary="Write billable time up or down", responses=problem_responses(404, 409),
    description="Set an unbilled entry's billable seconds, with a reason; worked time stays "
    "as recorded. For approved work the change in value is booked (unbilled receivables "
    "against revenue adjustments). 409 when the entry is billed already: correct billed work "
    "with a credit note.",
)
def adjust(body: AdjustmentIn, hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep,
           tasks: BackgroundTasks) -> dict[str, Any]:
    [entry_id] = hb.queries.entry_ids([body.entry_id], "entry_id")
    entry_visible_or_404(hb, principal, entry_id, body.entry_id)
    report = hb.handle(AdjustBillable(entry_id, body.billable_seconds, body.kept_reason(),
                                      actor))
    if report.wip_delta:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result
