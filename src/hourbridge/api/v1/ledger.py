"""The built-in ledger: journal entries and the trial balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..auth import PrincipalDep
from ..deps import HourbridgeDep, Limit, Offset
from ..entities import own_rows
from ..pages import Cursor, Page, page_at, page_start, page_whole
from ..problems import problem_responses
from ..schemas.ledger import FunctionalTrialBalanceRow, JournalEntry, TrialBalanceRow
from ..security import scoped

router = APIRouter(prefix="/v1/journal", tags=["ledger"], responses=problem_responses(500),
                   dependencies=[scoped("ledger:read", entities=True)])


@router.get("", response_model=Page[JournalEntry], summary="Journal entries",
            responses=problem_responses(422),
            description="Entries recorded by the built-in ledger, in id order, with lines. "
            "A page: `next_cursor` into `cursor`.")
def journal(hb: HourbridgeDep, principal: PrincipalDep, cursor: Cursor = None,
            limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    start = page_start(cursor, offset)
    return page_at(hb.queries.journal(limit=limit + 1, offset=start,
                                      entities=principal.entities), limit, start)


@router.get("/trial-balance", response_model=Page[TrialBalanceRow], summary="Trial balance",
            description="Balances per entity, currency and account; within each entity and "
            "currency they sum to zero. Each row also carries its balance in the entity's "
            "functional currency; per entity those sum to zero over all currencies.")
def trial_balance(hb: HourbridgeDep, principal: PrincipalDep) -> dict[str, Any]:
    return page_whole(own_rows(principal, hb.queries.trial_balance()))


@router.get("/trial-balance/functional", response_model=Page[FunctionalTrialBalanceRow],
            summary="Trial balance in functional currency",
            description="Balances per entity and account in the entity's functional currency, "
            "all transaction currencies translated at the rates stored on the postings; per "
            "entity they sum to zero.")
def functional_trial_balance(hb: HourbridgeDep, principal: PrincipalDep) -> dict[str, Any]:
    return page_whole(own_rows(principal, hb.queries.functional_trial_balance()))
