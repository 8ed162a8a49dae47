"""Expenses: take canonical rows through the inbox, list what was stored, approve."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from hourbridge.domain.commands import ApproveExpenses, IngestExpenses
from hourbridge.formats.bundle import Code
from hourbridge.formats.timefile import TimeFile

from ..deps import HourbridgeDep, Limit, Offset
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST, IntakeReport
from ..schemas.expenses import Expense, ExpenseApprovalIn, ExpenseApprovalReport, ExpensesIn
from .time_entries import IDEMPOTENCY_KEY, read_intake_body

router = APIRouter(prefix="/v1", tags=["expenses"], responses=problem_responses(422, 500))

_CSV_EXAMPLE = ("external_id,employee,project,date,amount,currency,category,description\n"
                "X-1,E1,P1,2026-07-01,120.50,EUR,travel,Train to the client\n")

_DESCRIPTION = f"""
Take expenses in the canonical format through the inbox, exactly as `hourbridge expenses
ingest` does: the payload is kept, every row is validated and stored, or queued as an
exception with its reason code (`invalid_amount`, `invalid_currency`, `currency_mismatch`,
`unknown_project`, ...; see `GET /v1/exceptions`). Nothing is dropped.

**Bodies.** `application/json`: `{{"source": "...", "expenses": [{{row}}, ...]}}` (the
expenses list is what the inbox keeps). `text/csv`: a canonical CSV file with a header line,
and the source in `?source=`. At most {MAX_ENTRIES_PER_REQUEST:,} expenses per request.

**Status.** 201 when the payload is new; 200 when the very same payload was taken before
(`duplicate_payload: true`, nothing added). A row already stored under its `external_id` is
unchanged, a new revision (replaces an expense not yet billed; it needs approval again) or
`changed_after_approval` (billed expenses are never edited).

**Idempotency-Key.** Optional, as for `POST /v1/time-entries`.
"""

_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/ExpensesIn"}},
        "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
    },
}


@router.post(
    "/expenses", status_code=201, response_model=IntakeReport,
    summary="Ingest expenses (JSON or CSV)", description=_DESCRIPTION,
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={200: {"model": IntakeReport, "description": "The same payload was taken before; "
                                                           "nothing was added."},
               **problem_responses(413, 415)},
)
async def ingest_expenses(
    request: Request,
    response: Response,
    hb: HourbridgeDep,
    source: Annotated[Code | None, Query(
        description="source system name; required with a `text/csv` body, and must match "
                    "the body's `source` with JSON")] = None,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY,
        description="client-chosen key, kept in the inbox file name")] = None,
) -> dict[str, Any]:
    source, payload, media_type = await read_intake_body(request, source, ExpensesIn,
                                                         "expenses")
    key = idempotency_key or hashlib.sha256(payload).hexdigest()[:16]
    command = IngestExpenses(source, TimeFile.from_bytes(f"api-{key}", media_type, payload,
                                                         list_key="expenses"))
    report = await run_in_threadpool(hb.handle, command)
    if report.duplicate_payload:
        response.status_code = 200
    result: dict[str, Any] = report.as_dict()
    return result


@router.get("/expenses", response_model=list[Expense], summary="List expenses",
            description="Stored expenses in id order, filtered by any of the parameters; "
                        "amounts are decimal strings in the expense's currency.")
def list_expenses(
    hb: HourbridgeDep,
    employee: Annotated[Code | None, Query(description="employee id")] = None,
    project: Annotated[Code | None, Query(description="project code")] = None,
    approval: Annotated[Literal["submitted", "approved", "rejected"] | None,
                        Query(description="approval state")] = None,
    billing: Annotated[Literal["unbilled", "billed", "written_off", "non_billable"] | None,
                       Query(description="billing state")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return hb.queries.expenses(employee=employee, project=project, approval=approval,
                               billing=billing, limit=limit, offset=offset)


@router.post(
    "/expense-approvals", response_model=ExpenseApprovalReport, summary="Approve expenses",
    tags=["approvals"],
    description="Approve submitted expenses selected by ids, employee, project and/or period "
    "(at least one). Approval books nothing: the billing run passes approved billable "
    "expenses through to invoices. Ids that are not found or not submitted are listed in "
    "`skipped`. Naturally idempotent: approving approved expenses approves nothing.",
)
def approve_expenses(body: ExpenseApprovalIn, hb: HourbridgeDep) -> dict[str, Any]:
    report = hb.handle(ApproveExpenses(
        actor=body.actor, expense_ids=tuple(body.expense_ids), employee=body.employee,
        project=body.project, date_from=body.date_from, date_to=body.date_to))
    result: dict[str, Any] = report.as_dict()
    return result
