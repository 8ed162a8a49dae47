"""Expenses: take canonical rows through the inbox, list what was stored, approve."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from hourbridge.domain.commands import ApproveExpenses, IngestExpenses
from hourbridge.formats.bundle import Code

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, Limit, Offset
from ..pages import Cursor, Page, UpdatedSince, page_of
from ..problems import problem_responses
from ..schemas.common import MAX_ENTRIES_PER_REQUEST
from ..schemas.expenses import Expense, ExpenseApprovalIn, ExpenseApprovalReport, ExpensesIn
from ..security import requires, scoped
from .intake import IdempotencyKeyHeader, SourceQuery, intake_route, take_payload

router = APIRouter(prefix="/v1", tags=["expenses"], responses=problem_responses(422, 500),
                   dependencies=[scoped("time:read", "time:write", entities=True)])

_CSV_EXAMPLE = ("external_id,employee,project,date,amount,currency,category,description\n"
                "X-1,E1,P1,2026-07-01,120.50,EUR,travel,Train to the client\n")

_DESCRIPTION = f"""
Take expenses in the canonical format through the inbox, exactly as `hourbridge expenses
ingest` does: the payload is kept, every row is validated and stored, or queued as an
exception with its reason code (`invalid_amount`, `invalid_currency`, `no_fx_rate`,
`unknown_project`, ...; see `GET /v1/exceptions`). Nothing is dropped. A key limited to
legal entities posts to their projects: another entity's project is `unknown_project`, and
another entity's stored expense is never revised (`duplicate_key`).

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


@router.post("/expenses", **intake_route("Ingest expenses (JSON or CSV)", _DESCRIPTION,
                                         _REQUEST_BODY))
async def ingest_expenses(request: Request, response: Response, hb: HourbridgeDep,
                          principal: PrincipalDep, source: SourceQuery = None,
                          idempotency_key: IdempotencyKeyHeader = None) -> dict[str, Any]:
    return await take_payload(request, response, hb, principal, source, idempotency_key,
                              IngestExpenses, ExpensesIn, ("expenses",), "expenses")


@router.get("/expenses", response_model=Page[Expense], summary="List expenses",
            description="Stored expenses in id order, filtered by any of the parameters; "
                        "amounts are decimal strings in the expense's currency. A page: "
                        "`next_cursor` into `cursor`; `updated_since` keeps the changed ones.")
def list_expenses(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    employee: Annotated[Code | None, Query(description="employee id")] = None,
    project: Annotated[Code | None, Query(description="project code")] = None,
    approval: Annotated[Literal["submitted", "approved", "rejected"] | None,
                        Query(description="approval state")] = None,
    billing: Annotated[Literal["unbilled", "billed", "written_off", "non_billable"] | None,
                       Query(description="billing state")] = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows = hb.queries.expenses(employee=employee, project=project, approval=approval,
                               billing=billing, limit=limit + 1, offset=offset,
                               after=int(cursor) if cursor else None,
                               updated_since=updated_since, entities=principal.entities)
    return page_of(rows, limit, "id")


@router.post(
    "/expense-approvals", response_model=ExpenseApprovalReport, summary="Approve expenses",
    dependencies=[requires("time:approve", entities=True)],
    tags=["approvals"],
    description="Approve submitted expenses selected by ids, employee, project and/or period "
    "(at least one). Approval books nothing: the billing run passes approved billable "
    "expenses through to invoices. Ids that are not found or not submitted are listed in "
    "`skipped` (another legal entity's, for a key limited to entities, is `not_found`). "
    "Naturally idempotent: approving approved expenses approves nothing.",
)
def approve_expenses(body: ExpenseApprovalIn, hb: HourbridgeDep, actor: ActorDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    report = hb.handle(ApproveExpenses(
        actor=actor, expense_ids=tuple(body.expense_ids), employee=body.employee,
        project=body.project, date_from=body.date_from, date_to=body.date_to,
        entities=principal.entities))
    result: dict[str, Any] = report.as_dict()
    return result
