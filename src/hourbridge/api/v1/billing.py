"""Billing runs: approved, unbilled, billable time through a date becomes draft invoices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from hourbridge.domain.commands import RunBilling

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep
from ..entities import one_entity
from ..problems import problem_responses
from ..schemas.billing import BillingReport, BillingRunIn
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["billing"], responses=problem_responses(422, 500),
                   dependencies=[scoped("billing:run", entities=True)])


@router.post(
    "/billing-runs", status_code=201, response_model=BillingReport, summary="Run billing",
    responses={200: {"model": BillingReport, "description": "Dry run: nothing was written."}},
    description="Turn approved, unbilled, billable entries worked up to `through` into draft "
    "invoices, one per contract and month, whose lines link to the exact entries. 201 with the "
    "drafts created; with `dry_run: true`, 200 with the same drafts computed and nothing "
    "written (`id` null). Naturally idempotent: billed entries move to `on_draft` in the same "
    "transaction, so running again bills nothing twice (a repeat creates 0 invoices). "
    "`changes_since_last_run` compares what stands invoiced per contract and month (invoiced, "
    "credited, net) with the last real run over the same scope, never a dry run; "
    "`not_invoiced` names every contract of the scope that produced nothing, with a reason "
    "code.",
)
def run_billing(body: BillingRunIn, hb: HourbridgeDep, actor: ActorDep,
                principal: PrincipalDep, response: Response) -> dict[str, Any]:
    entity = one_entity(principal, body.entity)  # a limited key bills its own entity only
    report = hb.handle(RunBilling(body.through, entity, body.dry_run, actor))
    if body.dry_run:
        response.status_code = 200
    result: dict[str, Any] = report.as_dict()
    return result
