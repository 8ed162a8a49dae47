"""Delivery: dead letters (list, show, replay), and draining the in-process worker."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from hourbridge.domain.commands import ReplayDeadLetters
from hourbridge.errors import InvalidInput, NotFound

from ..auth import ActorDep, PrincipalDep
from ..deps import HourbridgeDep, Limit
from ..entities import visible_or_404
from ..pages import Cursor, Page, page_of
from ..problems import problem_responses
from ..schemas.delivery import (
    DeadLetter,
    DeadLetterDetail,
    DeadReason,
    DrainStats,
    ReplayIn,
    ReplayOut,
)
from ..security import requires, scoped

router = APIRouter(prefix="/v1", tags=["delivery"], responses=problem_responses(500),
                   dependencies=[scoped("delivery:read", "delivery:write", entities=True)])


@router.get("/dead-letters", response_model=Page[DeadLetter], summary="Dead letters",
            responses=problem_responses(422),
            description="Events that failed for good, with why (a reason code) and their "
            "last error; filter by `reason` and `since`. A key limited to legal entities "
            "sees those whose event is about one of them (a journal entry, its webhook "
            "delivery or ERP document).")
def dead_letters(hb: HourbridgeDep, principal: PrincipalDep, limit: Limit = 100,
                 cursor: Cursor = None,
                 reason: Annotated[DeadReason | None, Query()] = None,
                 since: Annotated[datetime | None, Query(
                     description="died at or after (ISO 8601 with a zone)")] = None,
                 ) -> dict[str, Any]:
    if since is not None and since.tzinfo is None:
        raise InvalidInput("since: give a time zone")
    return page_of(hb.queries.dead_letters(limit=limit + 1, reason=reason, since=since,
                                           after=int(cursor) if cursor else None,
                                           entities=principal.entities), limit, "id")


@router.get("/dead-letters/{letter_id}", response_model=DeadLetterDetail,
            summary="One dead letter", responses=problem_responses(404, 422),
            description="Its event as queued, why it died, and every replay of it (who, "
            "when, why).")
def dead_letter(letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                hb: HourbridgeDep, principal: PrincipalDep) -> dict[str, Any]:
    if principal.entities is not None:
        visible_or_404(principal, "dead letter", letter_id, hb.queries.event_entity(letter_id))
    row = hb.queries.dead_letter(letter_id)
    if row is None:
        raise NotFound("dead letter", letter_id)
    return row


@router.post("/dead-letters/replay", response_model=ReplayOut, summary="Replay dead letters",
             responses=problem_responses(422),
             description="Put dead letters (by id, reason and/or since) back in the outbox "
             "under their original keys, audited; the worker delivers them. A dead letter "
             "replayed twice at once is revived once. Another legal entity's, for a key "
             "limited to entities, is `not_dead` as an unknown id is.")
def replay(body: ReplayIn, hb: HourbridgeDep, actor: ActorDep,
           principal: PrincipalDep) -> dict[str, Any]:
    if body.since is not None and body.since.tzinfo is None:
        raise InvalidInput("since: give a time zone")
    result: dict[str, Any] = hb.handle(ReplayDeadLetters(
        tuple(body.ids), body.reason, body.since, actor, body.note, principal.entities))
    return result


@router.post("/worker/drain", response_model=DrainStats, summary="Drain the worker",
             dependencies=[requires("delivery:write")],
             description="Admin convenience: deliver every outbox event that is due now with "
             "the in-process worker, and say how it went. Safe to repeat.")
def drain(hb: HourbridgeDep) -> dict[str, int]:
    return hb.worker.drain().as_dict()
