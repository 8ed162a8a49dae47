"""Odoo JSON-RPC error translation (``connectors.odoo.rpc``), through httpx's MockTransport:
an Odoo error answer (HTTP 200, ``error.data.name``) is Permanent with Odoo's message unless
it is a serialization failure; a write whose answer is lost or a gateway 5xx after it is an
unknown outcome; 429/503 are retryable with ``Retry-After``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hourbridge.connectors.http import UnknownOutcome
from hourbridge.connectors.odoo import ErpRefused, ErpUnavailable, OdooRpc


def _rpc(answer: Callable[[dict[str, Any]], httpx.Response]) -> OdooRpc:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert request.url.path == "/jsonrpc" and body["method"] == "call"
        if body["params"]["method"] == "authenticate":
            return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": 2})
        return answer(body)
    rpc = OdooRpc("http://odoo.test", "acme", "api", "key",
                  transport=httpx.MockTransport(handler))
    rpc.uid()
    return rpc


def _error(name: str, message: str) -> Callable[[dict[str, Any]], httpx.Response]:
    return lambda body: httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "error": {
        "code": 200, "message": "Odoo Server Error",
        "data": {"name": name, "message": message, "debug": "...", "arguments": [message]}}})


def test_execute_kw_sends_the_documented_arguments() -> None:
    seen: list[Any] = []

    def answer(body: dict[str, Any]) -> httpx.Response:
        seen.append(body["params"])
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": [7]})

    assert _rpc(answer).execute("res.partner", "search", [[["ref", "=", "x"]]],
                                {"limit": 1}) == [7]
    assert seen == [{"service": "object", "method": "execute_kw", "args": [
        "acme", 2, "key", "res.partner", "search", [[["ref", "=", "x"]]], {"limit": 1}]}]


def test_validation_error_is_permanent_with_odoos_message() -> None:
    rpc = _rpc(_error("odoo.exceptions.ValidationError", "The VAT number [X] is not valid."))
    with pytest.raises(ErpRefused, match=r"ValidationError: The VAT number \[X\] is not valid"):
        rpc.execute("res.partner", "create", [{"name": "A"}], write=True)


def test_serialization_failure_is_retryable() -> None:
    rpc = _rpc(_error("psycopg2.errors.SerializationFailure", "could not serialize access"))
    with pytest.raises(ErpUnavailable):
        rpc.execute("account.move", "create", [{}], write=True)


def test_lost_answer_to_a_write_is_an_unknown_outcome_and_to_a_read_retryable() -> None:
    def drop(body: dict[str, Any]) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    rpc = _rpc(drop)
    with pytest.raises(UnknownOutcome):
        rpc.execute("account.move", "create", [{}], write=True)
    with pytest.raises(ErpUnavailable):
        rpc.execute("account.move", "search", [[]])


def test_gateway_errors_after_a_write_are_unknown_429_and_503_retryable() -> None:
    assert isinstance(_status(502, write=True), UnknownOutcome)
    assert isinstance(_status(502, write=False), ErpUnavailable)
    throttled = _status(429, write=True, headers={"Retry-After": "7"})
    assert isinstance(throttled, ErpUnavailable) and throttled.retry_after == 7.0
    assert isinstance(_status(503, write=True), ErpUnavailable)
    assert isinstance(_status(404, write=False), ErpRefused)


def _status(code: int, write: bool, headers: dict[str, str] | None = None) -> Exception:
    rpc = _rpc(lambda body: httpx.Response(code, headers=headers or {}))
    with pytest.raises(Exception) as caught:
        rpc.execute("account.move", "create", [{}], write=write)
    return caught.value


def test_a_refused_login_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": False})

    rpc = OdooRpc("http://odoo.test", "acme", "api", "wrong",
                  transport=httpx.MockTransport(handler))
    with pytest.raises(ErpRefused, match="refused the login"):
        rpc.execute("res.partner", "search", [[]])
