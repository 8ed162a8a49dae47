"""Webhooks in: ``POST /v1/webhooks/{connection}`` takes a tracker's signed delivery (Toggl
Track's ``X-Webhook-Signature-256``, Clockify's ``Clockify-Signature``) for a connection.

The body is read as raw bytes and handed on untouched: the signature is over exactly those
bytes, verified (``hmac.compare_digest``) before anything parses them. A bad or missing
signature is a 401 problem and nothing of it is processed: the refused delivery is kept in
quarantine for audit (``GET /v1/webhooks/{connection}/quarantine``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from hourbridge.domain.commands import ReceiveWebhook
from hourbridge.errors import NotFound
from hourbridge.formats.bundle import Code

from ..bodygate import MAX_BODY_BYTES
from ..deps import HourbridgeDep
from ..problems import problem_responses
from ..security import requires, signed_by_sender

router = APIRouter(prefix="/v1", tags=["webhooks"], responses=problem_responses(401, 404, 422, 500),
                   dependencies=[signed_by_sender()])

_DESCRIPTION = """
A tracker's webhook delivery for a connection (`hourbridge connections add`, its secret set
with `hourbridge connections webhook-secret`). Toggl Track signs with `X-Webhook-Signature-256:
sha256=<hex HMAC-SHA256 of the body>`; Clockify sends the webhook's token in
`Clockify-Signature`. A Toggl PING is answered with its `validation_code` (200). Any other
delivery goes through the inbox like a synced page: 201 with the intake report; 200 with
`duplicate_delivery` true for a delivery id taken before. 401 for a missing, wrong or stale
signature: nothing is kept.
"""


@router.post("/webhooks/{connection}", status_code=201, summary="Take a tracker's webhook",
             description=_DESCRIPTION,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": {}}}}},
             responses={200: {"description": "A ping answered, or a delivery taken before."},
                        **problem_responses(413)})
async def receive_webhook(
    request: Request, response: Response, hb: HourbridgeDep,
    connection: Annotated[Code, Path(description="the connection the tracker delivers for")],
) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    headers = tuple((k.lower(), v) for k, v in request.headers.items())
    result: dict[str, Any] = await run_in_threadpool(
        hb.handle, ReceiveWebhook(connection, headers, body))
    if "handshake" in result:
        response.status_code = 200
        handshake: dict[str, Any] = result["handshake"]
        return handshake  # Toggl reads the validation code from the reply's body
    if result["duplicate_delivery"]:
        response.status_code = 200
    return result


@router.get("/webhooks/{connection}/quarantine", dependencies=[requires("delivery:read")],
            summary="Refused deliveries of a connection",
            description="Deliveries refused for a bad signature (`webhook_signature_invalid`), "
            "a replay outside the window (`webhook_replayed`) or a body the tracker's format "
            "cannot read (`webhook_malformed`), newest first; kept for audit, never processed.")
def list_quarantine(
    hb: HourbridgeDep,
    connection: Annotated[Code, Path(description="the connection the deliveries were for")],
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[dict[str, Any]]:
    return hb.queries.webhook_quarantine(connection, limit=limit)


@router.get("/webhooks/{connection}/quarantine/{quarantine_id}",
            dependencies=[requires("delivery:read")],
            summary="One refused delivery", description="Its reason, headers (secrets "
            "removed) and body as received (`body_encoding` utf-8 or base64).")
def show_quarantined(
    hb: HourbridgeDep,
    connection: Annotated[Code, Path(description="the connection the delivery was for")],
    quarantine_id: Annotated[int, Path(ge=1, le=2**53)],
) -> dict[str, Any]:
    row = hb.queries.webhook_quarantined(quarantine_id)
    if row is None or row["connection"] != connection:
        raise NotFound("quarantined delivery", quarantine_id)
    return row
