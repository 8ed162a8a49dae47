"""The exception queue: rows that could not be taken, by reason and owner; retry or dismiss."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from hourbridge.domain.commands import DismissExceptions, RetryExceptions

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, Limit, Offset
from ..pages import Cursor, UpdatedSince, page_at, page_start
from ..problems import problem_responses
from ..schemas.exceptions import Dismissed, DismissIn, ExceptionList, RetryIn, RetryReport
from ..security import scoped

router = APIRouter(prefix="/v1", tags=["exceptions"], responses=problem_responses(422, 500),
                   dependencies=[scoped("exceptions:read", "exceptions:write", entities=True)])


@router.get("/exceptions", response_model=ExceptionList, summary="List exceptions",
            description="Counts by reason code, and the items themselves in id order (a key "
            "limited to legal entities: those whose row names a project or contract of "
            "theirs); "
            "`updated_since` keeps those created or closed since an instant.")
def list_exceptions(
    hb: HourbridgeDep,
    principal: PrincipalDep,
    status: Annotated[Literal["open", "resolved", "dismissed", "all"],
                      Query(description="queue state")] = "open",
    reason: Annotated[str | None, Query(max_length=64, description="reason code")] = None,
    owner: Annotated[str | None, Query(max_length=64, description="owner role")] = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    st = None if status == "all" else status
    start = page_start(cursor, offset)
    page = page_at(hb.queries.exceptions(status=st, reason=reason, owner=owner,
                                         limit=limit + 1, offset=start,
                                         updated_since=updated_since,
                                         entities=principal.entities), limit, start)
    return {"by_reason": hb.queries.exceptions_by_reason(st, principal.entities), **page}


@router.post(
    "/exceptions/retry", response_model=RetryReport, summary="Retry exceptions",
    description="Validate the kept rows again (after master data was fixed); an accepted row "
    "closes its exception as resolved. No ids: every open exception. Naturally idempotent: "
    "a resolved exception is not retried again.",
)
def retry_exceptions(body: RetryIn, hb: HourbridgeDep, actor: ActorDep,
                     principal: PrincipalDep) -> dict[str, Any]:
    result: dict[str, Any] = hb.handle(RetryExceptions(tuple(body.ids), actor,
                                                       principal.entities)).as_dict()
    return result


@router.post(
    "/exceptions/dismiss", response_model=Dismissed, summary="Dismiss exceptions",
    description="Close open exceptions without taking their rows, keeping the note and actor. "
    "Naturally idempotent: closed exceptions are not counted again.",
)
def dismiss_exceptions(body: DismissIn, hb: HourbridgeDep, actor: ActorDep,
                       principal: PrincipalDep) -> dict[str, int]:
    return {"dismissed": hb.handle(DismissExceptions(tuple(body.ids), actor, body.note,
                                                     principal.entities))}
