"""The audit log over HTTP: pages of records (by object) and a verification of the chain."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ..deps import HourbridgeDep, Limit
from ..pages import Cursor, Page, UpdatedSince, page_of
from ..problems import problem_responses
from ..schemas.audit import AuditRecord, AuditVerification
from ..security import scoped

# verifying reads the chain and changes nothing: the read scope serves both
router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=problem_responses(422, 500),
                   dependencies=[scoped("audit:read", "audit:read")])


@router.get("", response_model=Page[AuditRecord], summary="Audit records",
            description="Records of financial state changes and admin actions, oldest "
            "first: actor, action, object, reason, before/after digests and the hash links. "
            "`object` filters by object (`invoices/12`; a trailing `*` matches a prefix, "
            "`invoices/*`). Pages: `next_cursor` into `cursor`.")
def list_audit(
    hb: HourbridgeDep,
    object_: Annotated[str | None, Query(alias="object", min_length=1, max_length=400,
                                         description="only this object")] = None,
    updated_since: UpdatedSince = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    rows = hb.queries.audit_records(object_=object_, after=int(cursor or 0), limit=limit + 1,
                                    since=updated_since)
    return page_of(rows, limit, "seq")


@router.post("/verify", response_model=AuditVerification, summary="Verify the audit chain",
             description="Check every record's hash and link and the chain head; "
             "`first_broken` names the first record where the chain does not hold (an "
             "edited, deleted, inserted or reordered record).")
def verify_audit(hb: HourbridgeDep) -> dict[str, Any]:
    return hb.queries.verify_audit()
