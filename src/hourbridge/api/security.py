"""What each route needs: its scope, declared on the route, and the routes open to anyone.

A router declares the scope of its reads and of its writes once (``scoped``); a route that
needs another says so itself (``requires``), and the last declaration wins. ``auth`` refuses
any route that declares nothing (deny by default), so a router added later is closed until
it says what it needs; ``tests/e2e/test_api_auth.py`` walks ``app.routes`` to prove every route
declares one.

``entities=True`` says the route keeps to the legal entities of a key limited to some
(``Principal.entities``): it filters lists and answers 404 for another entity's object. A
limited key gets 403 from every route that does not say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.routing import BaseRoute, Mount, compile_path

from hourbridge.domain.access import SCOPES

# any authenticated principal, no particular scope (the API's own documentation)
AUTHENTICATED = "authenticated"
# no credential of ours: the sender signs each request (tracker webhooks, checked by the
# route against the connection's secret)
SIGNED = "signature"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/login", "/logout"})
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Requirement:
    """A route's declared need: ``read`` for safe methods, ``write`` for the others."""

    read: str
    write: str
    entities: bool = False

    def scope_for(self, method: str) -> str:
        return self.read if method.upper() in _SAFE else self.write

    def __call__(self, request: Request) -> None:
        """Second line of defence: the middleware has checked already. Only the route's
        own (last) declaration counts: a router's broader one is overridden by it."""
        route = request.scope.get("route")
        if route is not None and requirement_of(route) is not self:
            return
        principal = request.scope.get("state", {}).get("principal")
        scope = self.scope_for(request.method)
        if scope == SIGNED:
            return
        if principal is None or (scope != AUTHENTICATED and not principal.allows(scope)):
            raise PermissionError("scope check bypassed")  # a 500: our own bug


def _checked(scope: str) -> str:
    if scope not in (AUTHENTICATED, SIGNED) and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return scope


def scoped(read: str, write: str | None = None, *, entities: bool = False) -> Any:
    """For ``APIRouter(dependencies=[...])``: the scopes of the router's reads and writes."""
    return Depends(Requirement(_checked(read), _checked(write or read), entities))


def requires(scope: str, *, entities: bool = False) -> Any:
    """For a route's ``dependencies=[...]``: the one scope it needs, whatever the method."""
    return Depends(Requirement(_checked(scope), _checked(scope), entities))


def signed_by_sender() -> Any:
    """For a router whose requests carry their sender's signature instead of a credential."""
    return Depends(Requirement(SIGNED, SIGNED))


# routes the framework adds itself (no dependencies to declare on)
_FRAMEWORK = {"/openapi.json": Requirement(AUTHENTICATED, AUTHENTICATED)}
_DOCS_ASSETS = Requirement(AUTHENTICATED, AUTHENTICATED)


def requirement_of(route: BaseRoute, path: str | None = None) -> Requirement | None:
    """The requirement ``route`` declares (the last one), or None: it declares none."""
    found = None
    for dependency in getattr(route, "dependencies", ()) or ():
        if isinstance(dependency.dependency, Requirement):
            found = dependency.dependency
    if found is not None:
        return found
    path = path if path is not None else getattr(route, "path", "")
    if isinstance(route, Mount) and path.startswith("/static/"):
        return _DOCS_ASSETS
    return _FRAMEWORK.get(path)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS


@dataclass(frozen=True, slots=True)
class RouteNeed:
    """One route as ``auth`` matches requests to it: where, which methods, what it needs."""

    path: str
    methods: frozenset[str] | None  # None: any (a mount)
    requirement: Requirement | None
    route: BaseRoute
    pattern: re.Pattern[str]
    in_schema: bool

    def takes(self, path: str) -> bool:
        return self.pattern.match(path) is not None


def walk_routes(app: FastAPI) -> list[RouteNeed]:
    """Every route of ``app`` with its full path, including those of included routers
    (which newer FastAPI versions keep inside the router rather than copy to ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined]
    except ImportError:  # FastAPI before lazily included routers: app.routes has them all
        found = [(getattr(r, "path", ""), r, getattr(r, "methods", None)) for r in app.routes]
    else:
        found = [(c.path or "", c.original_route, c.methods)
                 for c in iter_route_contexts(app.routes)]
    needs = []
    for path, route, methods in found:
        if isinstance(route, Mount):
            pattern = re.compile(re.escape(path.rstrip("/")) + "/")
        else:
            pattern = compile_path(path)[0]
        needs.append(RouteNeed(path, frozenset(methods) if methods else None,
                               requirement_of(route, path), route, pattern,
                               bool(getattr(route, "include_in_schema", False))))
    return needs
