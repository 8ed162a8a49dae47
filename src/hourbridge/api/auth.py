"""Authentication and authorization of every request, before any route runs.

An ASGI middleware, so protection is the default: it answers 401 to any request without a
valid credential (but the open paths of ``security.OPEN_PATHS``), finds the route the request
goes to and answers 403 when the route declares no scope (deny by default), when the
credential lacks the scope, or when a key limited to legal entities calls a route that does
not keep to them; 429 with ``Retry-After`` past the credential's rate limit. The problems say
nothing that helps a guess: not whether a key exists, is revoked or expired.

Credentials: ``Authorization: Bearer hbk_…`` (an API key), ``Authorization: Bearer <JWT>``
(an OAuth2 client-credentials token of the configured issuer), or the dashboard's session
cookie (``session``). The request's principal is ``request.state.principal``; routes and
other modules get it through ``current_principal`` / ``current_actor`` (dependencies) or,
outside a route, ``acting_principal()``.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain.access import KEY_PREFIX, Principal

from .oauth import TokenVerifier
from .problems import ProblemResponse, problem
from .ratelimit import RateLimiter
from .security import AUTHENTICATED, SIGNED, Requirement, RouteNeed, is_open, walk_routes
from .session import COOKIE, session_key_id

_acting: ContextVar[Principal | None] = ContextVar("hourbridge_principal", default=None)
_CHALLENGE = 'Bearer realm="hourbridge"'


def acting_principal() -> Principal | None:
    """The principal of the request being served (None outside a request)."""
    return _acting.get()


def current_principal(request: Request) -> Principal:
    """Dependency: the authenticated principal of this request."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # only on an open route: the middleware let it through
        raise HTTPException(401, "a valid credential is required",
                            headers={"WWW-Authenticate": _CHALLENGE})
    return principal


def current_actor(request: Request) -> str:
    """Dependency: the name kept as who acted on what this request changes."""
    return current_principal(request).actor


PrincipalDep = Annotated[Principal, Depends(current_principal)]
ActorDep = Annotated[str, Depends(current_actor)]


class AuthMiddleware:
    def __init__(self, app: ASGIApp, api: FastAPI, hb: Hourbridge) -> None:
        self.app = app
        self.api = api
        self.hb = hb
        self.limiter = RateLimiter(hb.rate_windows, time.time)
        self._routes: list[RouteNeed] | None = None
        s = hb.settings
        self.verifier = (TokenVerifier(s.oauth_issuer, s.oauth_audience, s.oauth_jwks)
                         if s.oauth_issuer and s.oauth_audience and s.oauth_jwks else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        found, requirement = self._requirement(request)
        if requirement is not None and requirement.read == SIGNED:
            await self.app(scope, receive, send)  # the route checks the sender's signature
            return
        principal = await run_in_threadpool(self._authenticate, request)
        if principal is None:
            if scope["path"].startswith("/dashboard") and request.method == "GET":
                target = "/login?next=" + quote(scope["path"], safe="/")
                await RedirectResponse(target, status_code=303)(scope, receive, send)
                return
            await problem(401, "a valid credential is required", request=request,
                          code="unauthenticated", title="Unauthorized",
                          headers={"WWW-Authenticate": _CHALLENGE})(scope, receive, send)
            return
        refusal = self._authorize(request, principal, found, requirement) if found else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        token = _acting.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            _acting.reset(token)

    def _authenticate(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header:
            kind, _, token = header.partition(" ")
            token = token.strip()
            if kind.lower() != "bearer" or not token:
                return None
            if token.startswith(KEY_PREFIX):
                return self.hb.access.authenticate(token)
            return self.verifier.principal(token) if self.verifier else None
        cookie = request.cookies.get(COOKIE)
        secret = self.hb.settings.secret_key
        if cookie and secret is not None:
            key_id = session_key_id(secret.get_secret_value(), cookie, time.time())
            return self.hb.access.session_principal(key_id) if key_id else None
        return None

    def _requirement(self, request: Request) -> tuple[bool, Requirement | None]:
        """Whether a route takes the request, and that route's requirement."""
        if self._routes is None:  # built at the first request: every router is in by then
            self._routes = walk_routes(self.api)
        path, method = request.url.path, request.method
        for need in self._routes:
            if need.takes(path) and (need.methods is None or method in need.methods):
                return True, need.requirement
        return False, None

    def _authorize(self, request: Request, principal: Principal, found: bool,
                   requirement: Requirement | None) -> ProblemResponse | None:
        # not found: the app answers 404 or 405 to an authenticated caller
        forbidden = problem(403, "this credential does not allow this operation",
                            request=request, code="forbidden", title="Forbidden")
        if requirement is None:
            return forbidden  # a route that declares no scope is closed (deny by default)
        scope = requirement.scope_for(request.method)
        if scope != AUTHENTICATED and not principal.allows(scope):
            forbidden.headers["WWW-Authenticate"] = (
                f'{_CHALLENGE}, error="insufficient_scope", scope="{scope}"')
            return forbidden
        if principal.entities is not None and not requirement.entities and (
                scope != AUTHENTICATED):
            return forbidden
        limit = (principal.rate_limit if principal.rate_limit is not None
                 else self.hb.settings.api_rate_limit)
        wait = self.limiter.wait(principal.key_id or f"{principal.kind}:{principal.name}",
                                 limit)
        if wait:
            return problem(429, "too many requests for this credential; retry later",
                           request=request, code="rate_limited", title="Too many requests",
                           headers={"Retry-After": str(wait)})
        return None
