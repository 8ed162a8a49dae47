"""Contracts: where each component stands, and milestones reported achieved by a PSA."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from hourbridge.domain import limits
from hourbridge.domain.commands import (
    AchieveMilestone,
    RunRevenue,
    ShowContract,
    ShowRevenueSchedule,
)

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep
from ..entities import one_entity, visible_or_404
from ..pages import page_whole
from ..problems import problem_responses
from ..schemas.common import Actor, Code, Note
from ..security import requires, scoped

ContractId = Annotated[str, Path(min_length=1, max_length=limits.CODE, description="contract id")]
MilestoneId = Annotated[str, Path(min_length=1, max_length=limits.CODE,
                                  description="milestone id")]

router = APIRouter(prefix="/v1", tags=["contracts"], responses=problem_responses(422, 500),
                   dependencies=[scoped("masterdata:read", "billing:run", entities=True)])


def _contract_visible(hb: HourbridgeDep, principal: PrincipalDep, contract_id: str) -> None:
    """Another entity's contract answers as an unknown one does (404 ``contract``); an
    unknown one is left for the command to refuse, so both say the same."""
    if principal.entities is None:
        return
    for record in hb.queries.masterdata("contracts"):
        if record["id"] == contract_id:
            visible_or_404(principal, "contract", contract_id, record["entity"])


class AchievementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    achieved_on: date = Field(description="the day the milestone was accepted")
    note: Note = ""
    actor: Actor = None


class Achievement(BaseModel):
    contract: str
    milestone: str
    name: str
    amount: str
    currency: str
    achieved_on: date
    recorded: bool = Field(description="false when the same achievement was recorded before")


@router.get("/contracts/{contract_id}", summary="Show a contract and its components",
            responses=problem_responses(404),
            description="Versions, fee installments and milestones with their billing state, "
            "retainer months settled, cap usage and expense policy.")
def show_contract(contract_id: ContractId, hb: HourbridgeDep,
                  principal: PrincipalDep) -> dict[str, Any]:
    _contract_visible(hb, principal, contract_id)
    out: dict[str, Any] = hb.handle(ShowContract(contract_id))
    return out


@router.post("/contracts/{contract_id}/milestones/{milestone_id}/achievement",
             response_model=Achievement, summary="Mark a milestone achieved",
             responses=problem_responses(404, 409),
             description="The next billing run through `achieved_on` bills the milestone, "
             "once. Sending the same achievement again is harmless; another date is 409.")
def achieve(contract_id: ContractId, milestone_id: MilestoneId, body: AchievementIn,
            hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep) -> dict[str, Any]:
    _contract_visible(hb, principal, contract_id)
    out: dict[str, Any] = hb.handle(AchieveMilestone(contract_id, milestone_id,
                                                     body.achieved_on, actor, body.note))
    return out


class RevenueRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
    entity: Code | None = None
    dry_run: bool = False
    actor: Actor = None


@router.post("/revenue-runs", summary="Recognise revenue through a period",
             dependencies=[requires("billing:run", entities=True)],
             responses=problem_responses(409),
             description="Fixed fees by percent complete, milestones on achievement, retainers "
             "straight-line; books the change since the last run (Dr deferred revenue / Cr "
             "revenue) at the period's last day. 409 for a closed period, or one before a "
             "period already run.")
def run_revenue(body: RevenueRunIn, hb: HourbridgeDep, actor: ActorDep,
                principal: PrincipalDep) -> dict[str, Any]:
    entity = one_entity(principal, body.entity)  # a limited key runs its own entity only
    out: dict[str, Any] = hb.handle(RunRevenue(body.period, actor, entity,
                                               body.dry_run)).as_dict()
    return out


@router.get("/contracts/{contract_id}/revenue-schedule", summary="A contract's revenue schedule",
            description="What each revenue run recognised for the contract, in order (one "
            "page: the whole schedule).")
def schedule(contract_id: ContractId, hb: HourbridgeDep,
             principal: PrincipalDep) -> dict[str, Any]:
    _contract_visible(hb, principal, contract_id)
    return page_whole(hb.handle(ShowRevenueSchedule(contract_id)))
