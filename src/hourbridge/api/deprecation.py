"""Old names the API still accepts for one version, and how a client learns it used one.

docs/GLOSSARY.md gives each concept one name. A request field that was renamed accepts its old
name too (pydantic ``validation_alias``: the OpenAPI document shows only the new name), and
a ``reason`` given as free text where a reason code is now asked for is kept as the note under
the code ``other``. A response to a request that used an old form carries the ``Deprecation``
header of RFC 9745 (a Structured Field Date, RFC 9651 §3.3.7: ``@`` and the epoch seconds of
the day the form was deprecated) and is logged as a warning naming what to use instead.

The validators that notice an old form run inside the request; an ASGI middleware (not a
``BaseHTTPMiddleware``: it must add a header before the response starts) gives each request a
list they append to, through a context variable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from pydantic import AliasChoices, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# the day the names of docs/GLOSSARY.md replaced the old ones
DEPRECATED_ON = datetime(2026, 12, 6, tzinfo=UTC)
_used: ContextVar[list[str] | None] = ContextVar("hourbridge_deprecated_forms", default=None)
log = logging.getLogger(__name__)
# Routes kept under an old path for one version (docs/API.md "Versioning"): each answers with
# ``Deprecation`` (RFC 9745: since when), ``Sunset`` (RFC 8594: the HTTP-date it goes away)
# and ``Link`` to what says so and to the route that replaces it.
POLICY = "https://hourbridge.dev/docs/API.md#deprecations"


@dataclass(frozen=True)
class DeprecatedRoute:
    since: datetime
    sunset: datetime
    successor: str

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"deprecation", f"@{int(self.since.timestamp())}".encode()),
                (b"sunset", format_datetime(self.sunset, usegmt=True).encode()),
                (b"link", f'<{POLICY}>; rel="deprecation"; type="text/html", '
                          f'<{self.successor}>; rel="successor-version"'.encode())]


DEPRECATED_ROUTES: dict[tuple[str, str], DeprecatedRoute] = {
    ("GET", "/v1/time-entries"): DeprecatedRoute(DEPRECATED_ON,
                                                 datetime(2027, 6, 30, tzinfo=UTC),
                                                 "/v1/entries"),
}
# (new name, old name) of a range of dates in a request body
RANGE_RENAMES = (("from", "date_from"), ("to", "date_to"))


def note_deprecated(what: str) -> None:
    """Record that this request used an old form (``what`` says what to use instead)."""
    used = _used.get()
    if used is not None and what not in used:
        used.append(what)


def renamed_field(new: str, old: str, default: Any = None, **kwargs: Any) -> Any:
    """A request field named ``new`` that also accepts its old name ``old`` (one version)."""
    return Field(default, validation_alias=AliasChoices(new, old), **kwargs)


def old_names_used(data: Any, renames: Iterable[tuple[str, str]]) -> Any:
    """For a ``model_validator(mode="before")``: note each old name the body used."""
    if isinstance(data, dict):
        for new, old in renames:
            if old in data:
                note_deprecated(f"field {old!r} is deprecated: use {new!r}")
    return data


class DeprecationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        used: list[str] = []
        token = _used.set(used)

        route = DEPRECATED_ROUTES.get((scope.get("method", ""), scope.get("path", "")))

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start" and route is not None:
                message["headers"] = [*message.get("headers", []), *route.headers()]
                log.warning("deprecated route %s %s: use %s", scope.get("method"),
                            scope.get("path"), route.successor)
            elif message["type"] == "http.response.start" and used:
                stamp = f"@{int(DEPRECATED_ON.timestamp())}".encode()
                message["headers"] = [*message.get("headers", []), (b"deprecation", stamp)]
                log.warning("deprecated request form on %s: %s", scope.get("path"),
                            "; ".join(used))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            _used.reset(token)
