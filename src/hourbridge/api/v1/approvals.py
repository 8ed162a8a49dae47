"""Approval: its own axis; approving billable time books its value as unbilled revenue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks
from pydantic import Field

from hourbridge.domain.commands import ApproveEntries, RejectEntries
from hourbridge.domain.reasons import REJECTION_REASONS

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, drain_later
from ..problems import problem_responses
from ..schemas.approvals import ApprovalIn, ApprovalReport
from ..schemas.common import Actor, CodedReason, EntryRef, ReasonCode, reason_codes
from ..security import requires, scoped

router = APIRouter(prefix="/v1", tags=["approvals"], responses=problem_responses(422, 500),
                   dependencies=[scoped("time:approve")])


@router.post(
    "/approvals", response_model=ApprovalReport, summary="Approve time entries",
    dependencies=[requires("time:approve", entities=True)],
    description="Approve submitted entries selected by ids, employee, project and/or period "
    "(at least one). Each billable entry is priced at the rate in force on its work date and "
    "its value is booked (Dr unbilled receivables / Cr revenue); the postings reach the ledger "
    "through the outbox right after the response. Entries that cannot be priced are listed in "
    "`skipped` with their reason; an approver's own time (the employee their key is linked "
    "to) is skipped as `own_time`, and a key limited to legal entities approves only theirs "
    "(another entity's entry is `not_found`). Naturally idempotent: approving approved "
    "entries approves "
    "and books nothing, so a retry is safe.",
)
def approve(body: ApprovalIn, hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep,
            tasks: BackgroundTasks) -> dict[str, Any]:
    report = hb.handle(ApproveEntries(
        actor=actor, entry_ids=hb.queries.entry_ids(body.entry_ids, "entry_ids"),
        employee=body.employee,
        project=body.project, date_from=body.date_from, date_to=body.date_to,
        approver_employee=principal.employee, entities=principal.entities))
    if report.journal_keys:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result


class RejectionIn(CodedReason):
    reason_code_set = REJECTION_REASONS
    entry_ids: list[EntryRef] = Field(min_length=1, max_length=10_000)
    reason: ReasonCode = Field(description=reason_codes(REJECTION_REASONS,
                                                        "kept on the entries"))
    actor: Actor = None


@router.post(
    "/rejections", summary="Reject time entries",
    dependencies=[requires("time:approve", entities=True)],
    description="Send entries back to the consultant. Submitted entries become rejected; "
    "approved entries nothing has billed are un-approved and the value their approval booked "
    "is reversed (Dr revenue / Cr unbilled receivables). Entries on a draft or an invoice, or "
    "charged between entities, are listed in `skipped` with their reason (another legal "
    "entity's, for a key limited to entities, is `not_found`).",
)
def reject(body: RejectionIn, hb: HourbridgeDep, actor: ActorDep, principal: PrincipalDep,
           tasks: BackgroundTasks) -> dict[str, Any]:
    report = hb.handle(RejectEntries(actor, hb.queries.entry_ids(body.entry_ids,
                                                                      "entry_ids"),
                                     body.kept_reason(), principal.entities))
    if report.journal_keys:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result
