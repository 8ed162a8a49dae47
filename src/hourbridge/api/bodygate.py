"""The request gate: every request's size and shape is bounded before any route sees it.

Why an ASGI middleware rather than a dependency or an exception handler: the limits must hold
for every route, including the intake routes that read ``request.body()`` themselves and the
``Idempotency-Key`` middleware that fingerprints the body before any route runs; a dependency
would only guard the routes that declare it, and an exception handler runs after the body was
buffered. So the body is read here once, chunk by chunk, counted as it streams (with or
without ``Content-Length``) and refused with 413 the moment it passes ``MAX_BODY_BYTES``,
never buffered further. A JSON body is then parsed once and walked without recursion:

* nesting deeper than ``MAX_JSON_DEPTH`` -> 422 ``json_too_deep``;
* an integer outside signed 64 bits -> 422 ``integer_out_of_range``;
* a string or key with NUL (``\\u0000``) or a lone surrogate -> 422 ``invalid_text``
  (no database stores these; PostgreSQL refuses NUL in text).

Other text bodies (CSV) and the path and query string are refused with NUL as well. A JSON
body that does not parse is passed on: the route reports it in its own words.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import dotted, json_pointer, problem
from .schemas.common import ProblemItem

MAX_BODY_BYTES = 32 * 1024 * 1024  # one request body, whatever its transfer encoding
MAX_JSON_DEPTH = 64  # arrays and objects nested in each other
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # what a BIGINT column holds
BODY = "hourbridge.body"  # scope key: the body, read once (``Idempotency-Key`` hashes it)


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The whole body, or None if the client went away; ``BodyTooLarge`` past ``limit``.

    Chunks go into one bytearray (amortised linear), never ``body += chunk``.
    """
    buffer = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        buffer += message.get("body", b"")
        if len(buffer) > limit:
            raise BodyTooLarge
        if not message.get("more_body"):
            return bytes(buffer)


def _too_large() -> Any:
    return problem(413, f"the body is larger than {MAX_BODY_BYTES} bytes",
                   code="body_too_large", title="Request too large")


def _invalid(code: str, detail: str, path: tuple[Any, ...] | None, location: str = "body"
             ) -> Any:
    item = ProblemItem(pointer=json_pointer(path) if path is not None else None,
                       location=location, field=dotted(path or ()), reason=detail, code=code)
    where = f"{item.field}: " if item.field else ""
    return problem(422, f"{where}{detail}", code=code, title="Request refused",
                   errors=[item])


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (not valid Unicode)"
    return None


def check_json(value: Any) -> tuple[str, str, tuple[Any, ...]] | None:
    """(code, reason, path) of the first value no route may take, or None; no recursion."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            if len(path) >= MAX_JSON_DEPTH:
                return ("json_too_deep", f"nested deeper than {MAX_JSON_DEPTH} levels", path)
            for key, child in item.items():
                if (reason := _bad_text(key)) is not None:
                    return ("invalid_text", f"a key {reason}", (*path, key))
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            if len(path) >= MAX_JSON_DEPTH:
                return ("json_too_deep", f"nested deeper than {MAX_JSON_DEPTH} levels", path)
            stack.extend((child, (*path, i)) for i, child in enumerate(item))
        elif isinstance(item, str):
            if (reason := _bad_text(item)) is not None:
                return ("invalid_text", reason, path)
        elif (isinstance(item, int) and not isinstance(item, bool)
              and not INT_MIN <= item <= INT_MAX):
            return ("integer_out_of_range",
                    f"integer outside signed 64 bits ({INT_MIN} to {INT_MAX})", path)
    return None


def _json_problem(body: bytes) -> Any | None:
    try:
        data = json.loads(body)
    except RecursionError:
        return _invalid("json_too_deep", f"nested deeper than {MAX_JSON_DEPTH} levels", ())
    except json.JSONDecodeError:
        return None  # not JSON: the route says so in its own words
    except ValueError:  # an integer literal longer than Python converts (4300 digits)
        return _invalid("integer_out_of_range",
                        f"integer outside signed 64 bits ({INT_MIN} to {INT_MAX})", ())
    found = check_json(data)
    if found is None:
        return None
    code, reason, path = found
    return _invalid(code, reason, path)


def _media_type(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return ""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            where = "path" if "\x00" in scope["path"] else "query"
            await _invalid("invalid_text", "contains a NUL character (\\u0000)", None,
                           where)(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > MAX_BODY_BYTES:
            await _too_large()(scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except BodyTooLarge:
            await _too_large()(scope, receive, send)
            return
        if body is None:
            return  # the client is gone; nothing to answer
        refused = self._refuse(scope, body) if body else None
        if refused is not None:
            await refused(scope, receive, send)
            return
        scope[BODY] = body
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # after the body: the real disconnect, when it comes
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    def _refuse(scope: Scope, body: bytes) -> Any | None:
        media = _media_type(scope)
        if not media or media == "application/json" or media.endswith("+json"):
            return _json_problem(body)
        if media.startswith("text/") and b"\x00" in body:
            return _invalid("invalid_text", "contains a NUL character (\\u0000)", None)
        return None
