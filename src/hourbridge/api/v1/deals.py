"""CRM won deals (issue 11 item 8): the drafts waiting for a person to confirm their rates,
and the route pushed Salesforce events arrive on.

``POST /v1/crm/{connection}/events`` carries its sender's signature instead of a credential
(like tracker webhooks): a CometD JSON message (change data capture, platform event) signed
``X-Hourbridge-Signature: sha256=<hex HMAC-SHA256 of the body>`` by the firm's relay, or a
Salesforce Outbound Message (SOAP) whose endpoint URL carries ``?token=<webhook secret>``;
the outbound message is answered with its ``Ack``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hourbridge.domain.commands import (
    ConfirmDeal,
    ReceiveCrmEvent,
    RejectDeal,
    ShowDeal,
    ShowDeals,
)
from hourbridge.domain.deals import STATES
from hourbridge.formats.bundle import Code

from ..auth import ActorDep
from ..bodygate import MAX_BODY_BYTES
from ..deps import HourbridgeDep
from ..pages import page_of
from ..problems import problem_responses
from ..schemas.deals import DealConfirmIn, DealRejectIn
from ..security import scoped, signed_by_sender

router = APIRouter(prefix="/v1", tags=["deals"], responses=problem_responses(404, 422, 500),
                   dependencies=[scoped("masterdata:read", "masterdata:write")])
events = APIRouter(prefix="/v1", tags=["deals"], responses=problem_responses(401, 404, 422,
                                                                             500, 503),
                   dependencies=[signed_by_sender()])

Opportunity = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{15,18}$",
                                  description="the Salesforce opportunity id")]


@router.get("/deals", summary="List won deals",
            description="Won CRM deals, by opportunity id: `proposed` (a draft waiting for "
            "its rates to be confirmed), `exception` (the account matches several customers), "
            "`confirmed` (a live contract now) or `rejected`.")
def list_deals(
    hb: HourbridgeDep,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(STATES) + ")$")] = None,
    cursor: Annotated[str | None, Query(max_length=18)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rows = hb.handle(ShowDeals(state, cursor, limit + 1))
    return page_of(rows, limit, "opportunity_id")


@router.get("/deals/{opportunity_id}", summary="One won deal and its draft",
            description="The deal, its line items and (while open) the draft a confirm "
            "loads: the customer (new or matched), project, contract and rates.")
def show_deal(hb: HourbridgeDep, opportunity_id: Opportunity) -> dict[str, Any]:
    out: dict[str, Any] = hb.handle(ShowDeal(opportunity_id))
    return out


@router.post("/deals/{opportunity_id}/confirm", summary="Confirm a deal's draft",
             responses=problem_responses(409),
             description="The draft, with the rates given here in place of the proposed "
             "ones, becomes customer, project, contract and rate card through the "
             "master-data load. 409 when the deal was decided already.")
def confirm_deal(hb: HourbridgeDep, actor: ActorDep, opportunity_id: Opportunity,
                 body: DealConfirmIn) -> dict[str, Any]:
    out: dict[str, Any] = hb.handle(ConfirmDeal(
        opportunity_id, actor, tuple(sorted(body.rates.items())), body.customer, body.entity,
        body.note))
    return out


@router.post("/deals/{opportunity_id}/reject", summary="Reject a deal",
             responses=problem_responses(409),
             description="Nothing of the deal is created. 409 when it was decided already.")
def reject_deal(hb: HourbridgeDep, actor: ActorDep, opportunity_id: Opportunity,
                body: DealRejectIn) -> dict[str, Any]:
    out: dict[str, Any] = hb.handle(RejectDeal(opportunity_id, actor, body.note))
    return out


@events.post("/crm/{connection}/events", status_code=200, summary="Take a pushed CRM event",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {}}, "text/xml": {"schema": {}}}}},
             description="A Salesforce change event or platform event (CometD JSON, signed "
             "`X-Hourbridge-Signature`) or an Outbound Message (SOAP, `?token=`). The "
             "opportunities it names are read back and taken once; an outbound message is "
             "answered with `Ack` true. 401 for a missing or wrong signature (kept in "
             "quarantine); 503 when Salesforce cannot be read now (the sender retries).")
async def receive_event(
    request: Request, hb: HourbridgeDep,
    connection: Annotated[Code, Path(description="the CRM connection the event is for")],
    token: Annotated[str, Query(max_length=200, description="outbound messages only")] = "",
) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    headers = tuple((k.lower(), v) for k, v in request.headers.items())
    result: dict[str, Any] = await run_in_threadpool(
        hb.handle, ReceiveCrmEvent(connection, headers, body, token))
    if result["media_type"] == "text/xml":
        return Response(result["reply"], media_type="text/xml")
    shown = {k: v for k, v in result.items() if k not in ("reply", "media_type")}
    return Response(json.dumps(shown), media_type="application/json")
