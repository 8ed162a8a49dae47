"""The API under test with a credential: ``api_client(hb)`` is ``api_client(hb)``
whose requests carry an API key of ``role``, made through the access service; ``problem``
checks an RFC 9457 problem answer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.testclient import TestClient

from hourbridge.api.app import create_app
from hourbridge.bootstrap import Hourbridge


def api_key(hb: Hourbridge, role: str = "admin", *, entities: Iterable[str] | None = None,
            employee: str | None = None, scopes: Iterable[str] = (),
            rate_limit: int | None = 0, name: str = "tests") -> str:
    """A new key's text (``rate_limit`` 0: never throttled, so tests time only themselves)."""
    _, text = hb.access.create(name, role, "tests", scopes=scopes, entities=entities,
                               employee=employee, rate_limit=rate_limit)
    return text


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def api_client(hb: Hourbridge, role: str = "admin", *, entities: Iterable[str] | None = None,
               employee: str | None = None, **client: Any) -> TestClient:
    key = api_key(hb, role, entities=entities, employee=employee)
    return TestClient(create_app(hb), headers=bearer(key), **client)


def actor(client: TestClient) -> str:
    """Who the API records as acting for ``client``'s key (never a body's ``actor``)."""
    key_id = client.headers["authorization"].split("_")[1]
    return f"key:{key_id} (tests)"


PROBLEM = "application/problem+json"


def problem(r: Any, status: int) -> dict[str, Any]:
    """The body of an RFC 9457 problem answer of ``status``, its members checked."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body
