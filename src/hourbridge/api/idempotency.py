"""``Idempotency-Key`` on write requests (IETF draft-ietf-httpapi-idempotency-key-header).

The first successful (2xx) response to a key is stored with a hash of the request; a retry with
the same key and the same request gets that response again (header ``Idempotent-Replayed:
true``) without running anything; the same key with a different request is refused with 422.
Failed requests are not stored: they committed nothing, so a retry simply runs again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem

HEADER = b"idempotency-key"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY = 200


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
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        digest = hashlib.sha256(b"\n".join([
            scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""),
            body])).hexdigest()
        keys = scope["app"].state.hourbridge.idempotency
        stored = await run_in_threadpool(keys.lookup, key)
        if stored is not None:
            if stored.request_hash != digest:
                await problem(422, "this Idempotency-Key was used for a different request",
                              code="idempotency_key_reused")(scope, receive, send)
                return
            await _replay(stored.status_code, stored.body, send)
            return

        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        json_body = False
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, json_body
            if message["type"] == "http.response.start":
                status = message["status"]
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                json_body = ctype.startswith(b"application/json")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and 200 <= status < 300 and json_body:
                    await run_in_threadpool(keys.remember, key, scope["method"], scope["path"],
                                            digest, status, json.loads(b"".join(chunks)))
            await send(message)

        await self.app(scope, replay_body, capture)


async def _replay(status: int, body: Any, send: Send) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"idempotent-replayed", b"true")]})
    await send({"type": "http.response.body", "body": payload})
