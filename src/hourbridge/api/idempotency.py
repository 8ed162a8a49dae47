"""``Idempotency-Key`` on write requests (IETF draft-ietf-httpapi-idempotency-key-header).

The key is reserved *before* the request runs: a row (``in_progress``, with a SHA-256
fingerprint of method, path, query and body, streamed so it costs time linear in the body) is
inserted and committed on its own. So of many concurrent requests with one key exactly one
runs; while it runs the others get 409 ``request_in_progress`` with ``Retry-After``. The
request's first commit marks the key ``applied`` in that same transaction (DESIGN §4.1). When it
answers with a 2xx JSON response — or any JSON response after it committed something — the
response is kept and every retry with the same request gets it again (header
``Idempotent-Replayed: true``) without running anything; the same key with a different request
is refused with 422 ``idempotency_key_reused``. A request that failed and committed nothing is
forgotten, so a retry runs again. A reservation left by a crashed process is taken over after
the store's lease if it committed nothing; if it committed, the retry gets 409
``idempotency_response_lost`` and nothing runs twice. Keys are kept per credential
(``_namespaced``): one client's key never replays another client's response.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hourbridge.domain.access import Principal

from .bodygate import BODY, BodyTooLarge, read_body
from .problems import problem

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY = 200


def fingerprint(method: str, path: str, query: bytes, chunks: list[bytes]) -> str:
    """SHA-256 of method, path, query and body, fed chunk by chunk (linear in the size)."""
    digest = hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, b""]))
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        key = next((v.decode("latin-1") for k, v in scope["headers"] if k == HEADER), None)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY:
            await problem(400, f"Idempotency-Key must be 1 to {MAX_KEY} characters",
                          code="invalid_idempotency_key")(scope, receive, send)
            return
        body: bytes | None = scope.get(BODY)
        if body is None:  # not behind the body gate (it always is in the app)
            try:
                body = await read_body(receive)
            except BodyTooLarge:
                await problem(413, "the body is too large", code="body_too_large")(
                    scope, receive, send)
                return
            if body is None:
                return
        digest = fingerprint(scope["method"], scope["path"], scope.get("query_string", b""),
                             [body])
        key = _namespaced(key, scope.get("state", {}).get("principal"))
        keys = scope["app"].state.hourbridge.idempotency
        try:
            found = await run_in_threadpool(keys.reserve, key, scope["method"], scope["path"],
                                            digest)
        except Exception as exc:  # the database is unreachable or busy: nothing ran
            log.warning("idempotency reservation failed: %s", type(exc).__name__)
            await problem(503, "the request could not be reserved; retry shortly",
                          code="temporarily_unavailable",
                          headers={"Retry-After": "2"})(scope, receive, send)
            return
        if found.outcome == "mismatch":
            await problem(422, "this Idempotency-Key was used for a different request",
                          code="idempotency_key_reused")(scope, receive, send)
            return
        if found.outcome == "done":
            assert found.stored is not None
            await _replay(found.stored.status_code, found.stored.body, send)
            return
        if found.outcome == "applied":
            await problem(409, "the request with this Idempotency-Key was applied, but the "
                          "server stopped before keeping its response; it is not run again: "
                          "read the resource to see its outcome",
                          code="idempotency_response_lost")(scope, receive, send)
            return
        if found.outcome == "in_progress":
            await problem(409, "a request with this Idempotency-Key is still running; "
                          "retry to get its response", code="request_in_progress",
                          headers={"Retry-After": str(max(1, round(found.retry_after)))})(
                scope, receive, send)
            return
        assert found.owner is not None
        await _run_reserved(self.app, scope, receive, send, keys, key, found.owner, body)


def _namespaced(key: str, principal: Principal | None) -> str:
    """The key as stored: one namespace per credential's grants, so a client's key can only
    ever replay to that client. Another key that sends the same Idempotency-Key (by chance, or
    having seen it) runs its own request rather than reading a response made for grants it may
    not have (another entity's invoice, say). The namespace is the principal's name, role,
    scopes and entities, which a rotation keeps (``keys rotate``: a retry across the overlap
    still replays); a token's subject and claims for OAuth. Digested, so a namespaced key
    fits the column whatever its length."""
    if principal is None:  # a signed route (a tracker's webhook): the route checks the sender
        return key
    grants = json.dumps(["jwt" if principal.kind == "jwt" else "key", principal.name,
                         principal.role, sorted(principal.scopes),
                         None if principal.entities is None else sorted(principal.entities),
                         key], separators=(",", ":"))
    return "ns1:" + hashlib.sha256(grants.encode()).hexdigest()


async def _run_reserved(app: ASGIApp, scope: Scope, receive: Receive, send: Send, keys: Any,
                        key: str, owner: str, body: bytes) -> None:
    """Run the request holding the reservation; keep its 2xx JSON response or release it."""
    sent = False

    async def replay_body() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0
    json_body = False
    settled = False
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal status, json_body, settled
        if message["type"] == "http.response.start":
            status = message["status"]
            ctype = dict(message.get("headers", [])).get(b"content-type", b"")
            json_body = ctype.startswith(b"application/json")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and not settled:
                # Settle before the client sees the end: its retry then finds the outcome.
                settled = True
                try:
                    kept = json.loads(b"".join(chunks)) if json_body else None
                    await run_in_threadpool(keys.settle, key, owner, status, kept)
                except Exception as exc:  # the response stands; the lease frees the key
                    log.warning("idempotency settle failed: %s", type(exc).__name__)
        await send(message)

    async def heartbeat() -> None:  # a request running longer than the lease keeps its key
        period = keys.lease.total_seconds() / 3
        while True:
            await anyio.sleep(period)
            try:
                await run_in_threadpool(keys.renew, key, owner)
            except Exception as exc:
                log.warning("idempotency renewal failed: %s", type(exc).__name__)

    error: Exception | None = None
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(heartbeat)
            try:
                with keys.applying(key, owner):
                    await app(scope, replay_body, capture)
            except Exception as exc:  # re-raised as it is below, not inside an ExceptionGroup
                error = exc
            finally:
                group.cancel_scope.cancel()
        if error is not None:
            raise error
    finally:
        if not settled:  # raised, cancelled or never answered: it committed nothing
            with anyio.CancelScope(shield=True):
                try:
                    await run_in_threadpool(keys.release, key, owner)
                except Exception as exc:  # the lease frees the key later
                    log.warning("idempotency release failed: %s", type(exc).__name__)


async def _replay(status: int, body: Any, send: Send) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"idempotent-replayed", b"true")]})
    await send({"type": "http.response.body", "body": payload})
