"""Approval: its own axis; approving billable time books its value as unbilled revenue."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks

from hourbridge.domain.commands import ApproveEntries

from ..deps import HourbridgeDep, drain_later
from ..problems import problem_responses
from ..schemas import ApprovalIn, ApprovalReport

router = APIRouter(prefix="/v1", tags=["approvals"], responses=problem_responses(422, 500))


@router.post(
    "/approvals", response_model=ApprovalReport, summary="Approve time entries",
    description="Approve submitted entries selected by ids, employee, project and/or period "
    "(at least one). Each billable entry is priced at the rate in force on its work date and "
    "its value is booked (Dr unbilled receivables / Cr revenue); the postings reach the ledger "
    "through the outbox right after the response. Entries that cannot be priced are listed in "
    "`skipped` with their reason. Naturally idempotent: approving approved entries approves "
    "and books nothing, so a retry is safe.",
)
def approve(body: ApprovalIn, hb: HourbridgeDep, tasks: BackgroundTasks) -> dict[str, Any]:
    report = hb.handle(ApproveEntries(
        actor=body.actor, entry_ids=tuple(body.entry_ids), employee=body.employee,
        project=body.project, date_from=body.date_from, date_to=body.date_to))
    if report.journal_keys:
        drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result
