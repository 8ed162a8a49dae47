"""Billing holds: work under a hold does not bill until the hold is released."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from hourbridge.domain.commands import PlaceHold, ReleaseHold
from hourbridge.errors import NotFound

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep
from ..entities import visible_or_404
from ..pages import Page, page_whole
from ..problems import problem_responses
from ..schemas.holds import Hold, HoldIn, HoldReleaseIn
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["holds"], responses=problem_responses(422, 500),
                   dependencies=[scoped("invoices:read", "billing:run", entities=True)])


@router.get("/holds", response_model=Page[Hold], summary="List holds",
            description="Active holds (or all with `all=true`), with their owner role.")
def list_holds(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    all_holds: Annotated[bool, Query(alias="all", description="released holds too")] = False,
) -> dict[str, Any]:
    return page_whole(hb.queries.holds(active_only=not all_holds,
                                       entities=principal.entities))


@router.post("/holds", status_code=201, response_model=Hold, summary="Place a hold",
             responses=problem_responses(404),
             description="Hold a customer (and its subsidiaries), a project, a contract or "
             "one entry (missing PO, credit hold, dispute): its work does not bill until the "
             "hold is released. 404 if what it names does not exist.")
def place_hold(body: HoldIn, hb: HourbridgeDep, actor: ActorDep,
               principal: PrincipalDep) -> dict[str, Any]:
    ref = body.ref
    if body.scope == "entry" and ":" in ref:  # SOURCE:EXTERNAL_ID, as everywhere an entry is
        ref = str(hb.queries.entry_ids([ref], "ref")[0])
    if principal.entities is not None:  # another entity's work: as unknown
        visible_or_404(principal, body.scope, body.ref, hb.queries.held_entity(body.scope, ref))
    hold_id = hb.handle(PlaceHold(body.scope, ref, body.reason, actor, body.note,
                                  body.owner_role))
    return next(h for h in hb.queries.holds(active_only=False) if h["id"] == hold_id)


@router.post("/holds/{hold_id}/release", response_model=Hold, summary="Release a hold",
             responses=problem_responses(404),
             description="The held work bills with the next billing run. 404 if there is no "
             "active hold with this id.")
def release_hold(hold_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="hold id")],
                 body: HoldReleaseIn, hb: HourbridgeDep, actor: ActorDep,
                 principal: PrincipalDep) -> dict[str, Any]:
    if principal.entities is not None and not any(
            h["id"] == hold_id for h in hb.queries.holds(entities=principal.entities)):
        raise NotFound("hold", hold_id)  # another entity's hold: as an unknown one
    hb.handle(ReleaseHold(hold_id, actor, body.note))
    return next(h for h in hb.queries.holds(active_only=False) if h["id"] == hold_id)
