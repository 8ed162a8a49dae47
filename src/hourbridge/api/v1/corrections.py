"""Correction proposals: source changes or deletions of invoiced work, listed and acted on."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Path, Query

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.access import Principal
from hourbridge.domain.commands import ApplyCorrection, RejectCorrection
from hourbridge.errors import NotFound

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, Limit, Offset, drain_later
from ..pages import Cursor, Page, page_at, page_start
from ..problems import problem_responses
from ..schemas.corrections import Correction, CorrectionDecisionIn, CorrectionReport
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["corrections"], responses=problem_responses(422, 500),
                   dependencies=[scoped("invoices:read", "billing:run", entities=True)])

CorrectionId = Annotated[int, Path(ge=1, le=2**63 - 1, description="correction id")]


@router.get("/corrections", response_model=Page[Correction], summary="List corrections",
            description="Proposals made when a source changed or deleted work that is on an "
            "invoice: what changed, the invoice line, the value difference and the proposed "
            "action. Open ones by default; `status=all` for every one.")
def list_corrections(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    status: Annotated[Literal["open", "applied", "rejected", "superseded", "all"],
                      Query(description="which proposals")] = "open",
    cursor: Cursor = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    start = page_start(cursor, offset)
    return page_at(hb.queries.corrections(status=None if status == "all" else status,
                                          limit=limit + 1, offset=start,
                                          entities=principal.entities), limit, start)


@router.post("/corrections/{correction_id}/apply", response_model=CorrectionReport,
             summary="Apply a correction", responses=problem_responses(404, 409),
             description="Carry out the proposal against the invoices as they are now: a "
             "rebill credit note of exactly the entry's invoiced seconds "
             "(`credit_and_rebill`), an adjustment line owed to the next billing run "
             "(`next_invoice_adjustment`), or the draft voided (`redraft`); the entry then "
             "takes the new revision and its value is re-booked. 409 `correction_closed` "
             "when it was applied, rejected or superseded already.")
def apply_correction(correction_id: CorrectionId, body: CorrectionDecisionIn,
                     hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep,
                     tasks: BackgroundTasks) -> dict[str, Any]:
    _check_visible(hb, principal, correction_id)
    report = hb.handle(ApplyCorrection(correction_id, actor, body.note))
    drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result


@router.post("/corrections/{correction_id}/reject", response_model=CorrectionReport,
             summary="Reject a correction", responses=problem_responses(404, 409),
             description="Close the proposal with a note: the invoice stands, the revision "
             "stays recorded and is not taken.")
def reject_correction(correction_id: CorrectionId, body: CorrectionDecisionIn,
                      hb: HourbridgeDep, actor: ActorDep,
                      principal: PrincipalDep) -> dict[str, Any]:
    _check_visible(hb, principal, correction_id)
    report = hb.handle(RejectCorrection(correction_id, actor, body.note))
    result: dict[str, Any] = report.as_dict()
    return result


def _check_visible(hb: Hourbridge, principal: Principal, correction_id: int) -> None:
    """Another entity's correction is refused as an unknown one is (404)."""
    if principal.entities is not None and not hb.queries.corrections(
            status=None, ids=[correction_id], entities=principal.entities):
        raise NotFound("correction", correction_id)
