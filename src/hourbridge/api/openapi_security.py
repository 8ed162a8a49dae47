"""The OpenAPI document's security: the schemes, and on each operation the scope it needs
(``security``) and the 401, 403 and 429 problems it can answer."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from hourbridge.config import Settings
from hourbridge.domain.access import SCOPES

from .problems import problem_responses
from .security import AUTHENTICATED, SIGNED, walk_routes

_REFUSALS = {401: "No valid credential (missing, unknown, revoked or expired).",
             403: "The credential lacks the scope this operation needs.",
             429: "Too many requests for this credential; retry after `Retry-After` "
                  "seconds."}


def schemes(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {"apiKey": {
        "type": "http", "scheme": "bearer", "bearerFormat": "hbk_<key id>_<secret>",
        "description": "An API key from `hourbridge keys create` (shown once)."}}
    if settings.oauth_issuer:
        out["oauth2"] = {
            "type": "oauth2", "description": f"Client-credentials JWTs of "
            f"{settings.oauth_issuer}; scopes in the `scope` claim.",
            "flows": {"clientCredentials": {
                "tokenUrl": settings.oauth_issuer.rstrip("/") + "/oauth/token",
                "scopes": dict(SCOPES)}}}
    return out


def document(app: FastAPI, schema: dict[str, Any], settings: Settings) -> None:
    known = schemes(settings)
    schema.setdefault("components", {})["securitySchemes"] = known
    refusals = {status: {**doc, "description": _REFUSALS[status]}
                for status, doc in problem_responses(401, 403, 429).items()}
    for need in walk_routes(app):
        operations = schema.get("paths", {}).get(need.path, {})
        if not need.in_schema or need.requirement is None:
            continue
        for method in need.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            scope = need.requirement.scope_for(method)
            if scope == SIGNED:
                operation["security"] = []  # the sender's signature, checked by the route
                continue
            needed = [] if scope == AUTHENTICATED else [scope]
            operation["security"] = [{name: needed} for name in known]
            operation["x-required-scope"] = scope
            responses = operation.setdefault("responses", {})
            for status, doc in refusals.items():
                responses.setdefault(str(status), {
                    "description": doc["description"],
                    "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Problem"}}}})
