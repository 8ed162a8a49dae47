"""Lineage: ``GET /v1/trace/{kind}/{id}``, the same read model as ``hourbridge trace``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from hourbridge.bootstrap import Hourbridge

from ..auth import PrincipalDep
from ..deps import After, HourbridgeDep
from ..entities import visible_or_404
from ..problems import problem_responses
from ..schemas.trace import Trace, TraceKind
from ..security import scoped

router = APIRouter(prefix="/v1/trace", tags=["trace"],
                   responses=problem_responses(404, 422, 500),
                   dependencies=[scoped("delivery:read", entities=True)])


@router.get("/{kind}/{ref}", response_model=Trace, summary="Trace a record",
            description="Where an entry, expense, invoice (or credit note) or outbox event came "
            "from and went: payloads, the entry and its revisions, problems, approval, the "
            "priced line with why that rate, the invoice, journal entries and their delivery "
            "attempts, each step with its time and actor. An entry that did not bill says why "
            "(`why_not_billed`). An invoice lists the entries it bills a page at a time: "
            "`entries.next_after` is the `after` of the next page. ERP postings and payments "
            "are not recorded yet (`recorded: false`). Another legal entity's record, for a key "
            "limited to entities, answers 404 as an unknown one does.")
def trace(
    kind: TraceKind,
    ref: Annotated[str, Path(max_length=300, description="an id; an entry or expense also as "
                             "SOURCE:EXTERNAL_ID, an invoice as its number, an event as its "
                             "key")],
    hb: HourbridgeDep,
    principal: PrincipalDep,
    after: After = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries of an invoice per page")]
    = 100,
) -> dict[str, Any]:
    found: dict[str, Any] = hb.queries.trace(kind, ref, after=after, limit=limit,
                                             entities=principal.entities)
    if principal.entities is not None:
        for entity in traced_entities(hb, found):
            visible_or_404(principal, "invoice" if kind == "credit-note" else kind, ref,
                           entity)
    return found


def traced_entities(hb: Hourbridge, found: dict[str, Any]) -> list[str | None]:
    """The legal entities a trace is about (one; a reference never stored: those of the
    exceptions that kept it out; an event that carries no journal entry: none known, so
    only a key for every entity reads it)."""
    for section in ("entry", "expense", "invoice"):
        if found.get(section):
            return [found[section]["entity"]]
    if found.get("kind") == "event":
        return [j["entity"] for j in found.get("journal") or ()] or [None]
    return hb.queries.exception_entities([p["id"] for p in found.get("problems") or ()]) \
        or [None]
