"""Credit notes: credit an issued invoice in full or by quantity."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks

from hourbridge.domain.commands import IssueCreditNote

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, drain_later
from ..entities import visible_or_404
from ..problems import problem_responses
from ..schemas.credit_notes import CreditNoteIn, CreditNoteReport
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["invoices"], responses=problem_responses(422, 500),
                   dependencies=[scoped("invoices:issue", entities=True)])


@router.post(
    "/credit-notes", status_code=201, response_model=CreditNoteReport,
    summary="Issue a credit note", responses=problem_responses(404, 409),
    description="Credit an issued invoice in full (no `lines`) or by quantity (line number "
    "and billable seconds). The credit releases exactly the seconds it credits, latest "
    "entries first: with `rebill` they bill again in the next run (their WIP is restored), "
    "with `write_off` they never will. The credit note takes the next number of the "
    "entity's sequence and is issued at once; its reversal reaches the ledger through the "
    "outbox. 409 when the invoice is not issued or is already credited in full.",
)
def issue_credit_note(body: CreditNoteIn, hb: HourbridgeDep, actor: ActorDep,
                      principal: PrincipalDep, tasks: BackgroundTasks) -> dict[str, Any]:
    invoice = hb.queries.invoice(body.invoice_id) if principal.entities is not None else None
    if principal.entities is not None:  # another entity's invoice: as an unknown one
        visible_or_404(principal, "invoice", body.invoice_id,
                       invoice["entity"] if invoice else None)
    report = hb.handle(IssueCreditNote(
        invoice_id=body.invoice_id, actor=actor, reason=body.kept_reason(),
        lines=tuple((ln.line_no, ln.seconds) for ln in body.lines), mode=body.mode,
        issue_date=body.issue_date))
    drain_later(tasks, hb)
    result: dict[str, Any] = report.as_dict()
    return result
