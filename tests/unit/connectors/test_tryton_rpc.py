"""Tryton JSON-RPC (``connectors.tryton.rpc``) through httpx's MockTransport: login and the
session header, decimals and dates in Tryton's tagged JSON both ways, a UserError permanent
with Tryton's message, a UserWarning carrying its key, a ConcurrencyException retryable, an
expired session logged in again, a lost write an unknown outcome."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hourbridge.connectors.http import UnknownOutcome
from hourbridge.connectors.tryton import ErpRefused, ErpUnavailable, TrytonRpc
from hourbridge.connectors.tryton.rpc import TrytonWarning, decode, encode


def _rpc(answers: list[Any], seen: list[dict[str, Any]]) -> TrytonRpc:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"path": request.url.path, "auth": request.headers.get("Authorization"),
                     **body})
        if body["method"] == "common.db.login":
            return httpx.Response(200, json={"id": body["id"], "result": [1, "s3ss"]})
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, int):
            return httpx.Response(answer)
        return httpx.Response(200, json={"id": body["id"], **answer})
    return TrytonRpc("http://tryton.test", "books", "admin", "pw",
                     transport=httpx.MockTransport(handler))


def test_values_travel_as_tryton_tagged_json() -> None:
    sent = encode([{"amount": Decimal("10.10"), "on": dt.date(2026, 11, 2)}])
    assert sent == [{"amount": {"__class__": "Decimal", "decimal": "10.10"},
                     "on": {"__class__": "date", "year": 2026, "month": 11, "day": 2}}]
    assert decode(sent) == [{"amount": Decimal("10.10"), "on": dt.date(2026, 11, 2)}]


def test_login_then_session_header_and_context_last() -> None:
    seen: list[dict[str, Any]] = []
    rpc = _rpc([{"result": [7]}], seen)
    assert rpc.call("model.party.party.search", [["code", "=", "hb:x"]], 0, 1, None, {}) == [7]
    login, call = seen
    assert login["path"] == call["path"] == "/books/"
    assert login["params"] == ["admin", {"password": "pw"}, "en"]
    token = base64.b64encode(b"admin:1:s3ss").decode()
    assert call["auth"] == f"Session {token}" and call["params"][-1] == {}


def test_errors_are_translated() -> None:
    seen: list[dict[str, Any]] = []
    rpc = _rpc([
        {"error": ["UserError", ["The invoice is not balanced.", "", None]]},
        {"error": ["UserWarning", ["invoice_payment_term.abc", "Due date past", ""]]},
        {"error": ["ConcurrencyException", ["Records were modified"]]},
        401, {"result": True},
        httpx.ReadTimeout("slow"),
        503,
    ], seen)
    with pytest.raises(ErpRefused, match="UserError: The invoice is not balanced"):
        rpc.call("model.account.invoice.post", [1], {}, write=True)
    with pytest.raises(TrytonWarning) as warned:
        rpc.call("model.account.invoice.post", [1], {}, write=True)
    assert warned.value.name == "invoice_payment_term.abc"
    with pytest.raises(ErpUnavailable):
        rpc.call("model.account.invoice.post", [1], {}, write=True)
    assert rpc.call("model.account.invoice.read", [1], ["state"], {}) is True  # 401: login
    assert [s["method"] for s in seen].count("common.db.login") == 2
    with pytest.raises(UnknownOutcome):
        rpc.call("model.account.invoice.create", [{}], {}, write=True)
    with pytest.raises(ErpUnavailable):
        rpc.call("model.account.invoice.read", [1], ["state"], {})
