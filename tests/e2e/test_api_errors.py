"""The REST API end to end, its errors and probes: bad input and refused commands as RFC 9457
problems, the error tree's statuses, nothing leaked by an unexpected error, health,
readiness and the OpenAPI contract. The main job and intake: ``test_api.py``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge import __version__
from hourbridge.bootstrap import Hourbridge
from hourbridge.errors import Conflict, InvalidInput, NotFound, Permanent, Retryable
from support.api import PROBLEM, api_client, problem
from support.firm import api_firm_bundle


# --- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def firm() -> dict[str, Any]:
    return api_firm_bundle()


@pytest.fixture
def loaded(client: TestClient, firm: dict[str, Any]) -> TestClient:
    r = client.post("/v1/master-data", json=firm)
    assert r.status_code == 200, r.text
    return client


# --- errors --------------------------------------------------------------------------------
def test_bad_bundle_is_a_problem_naming_the_field(client: TestClient,
                                                   firm: dict[str, Any]) -> None:
    firm["entities"][0]["currency"] = "eur"
    del firm["customers"][0]["name"]
    body = problem(client.post("/v1/master-data", json=firm), 422)
    assert body["type"].startswith("https://")
    items = {e["pointer"]: e for e in body["errors"]}
    assert set(items) == {"#/entities/0/currency", "#/customers/0/name"}
    assert items["#/entities/0/currency"]["field"] == "entities[0].currency"
    assert items["#/entities/0/currency"]["location"] == "body"
    assert items["#/customers/0/name"]["reason"]
    assert client.get("/v1/entities").json()["items"] == []


def test_bundle_reference_errors_point_into_the_body(client: TestClient,
                                                     firm: dict[str, Any]) -> None:
    firm["customers"][0]["entity"] = "XX"
    body = problem(client.post("/v1/master-data", json=firm), 422)
    assert body["code"] == "invalid_input"
    pointers = {e["pointer"] for e in body["errors"]}
    assert "#/customers/0/entity" in pointers
    assert all(e["code"] for e in body["errors"])
    assert client.get("/v1/customers").json()["items"] == []


def test_not_found_is_a_problem(client: TestClient) -> None:
    body = problem(client.get("/v1/invoices/999999"), 404)
    assert body["code"] == "not_found" and "999999" in body["detail"]
    assert body["instance"] == "/v1/invoices/999999"
    problem(client.get("/v1/no-such-thing"), 404)
    problem(client.get("/v1/invoices/abc"), 422)
    problem(client.delete("/v1/invoices"), 405)


def test_query_bounds_are_validated(client: TestClient) -> None:
    body = problem(client.get("/v1/time-entries", params={"limit": 5000}), 422)
    [item] = body["errors"]
    assert (item["location"], item["field"], item["pointer"]) == ("query", "limit", None)
    problem(client.get("/v1/time-entries", params={"approval": "maybe"}), 422)
    problem(client.get("/v1/exceptions", params={"status": "lost"}), 422)


def test_commands_refused_by_services_are_problems(loaded: TestClient) -> None:
    body = problem(loaded.post("/v1/approvals", json={"actor": "pm"}), 422)
    assert body["code"] == "invalid_input"
    body = problem(loaded.post("/v1/invoices/issue", json={}), 422)
    assert body["errors"][0]["pointer"] == "#"
    problem(loaded.post("/v1/invoices/issue", json={"all": True, "invoice_ids": [1]}), 422)
    assert loaded.post("/v1/invoices/issue", json={"all": True}).json() == {
        "issued": [], "count": 0}
    problem(loaded.post("/v1/billing-runs", json={"through": "July"}), 422)
    problem(loaded.post("/v1/approvals", json={"actor": "pm", "surprise": 1}), 422)


@pytest.mark.parametrize(("error", "status", "code"), [
    (InvalidInput("bad"), 422, "invalid_input"),
    (NotFound("thing", 1), 404, "not_found"),
    (Conflict("clash"), 409, "conflict"),
    (Permanent("never"), 400, "permanent"),
    (Retryable("busy", retry_after=2.5), 503, "retryable"),
])
def test_error_tree_maps_to_statuses(client: TestClient, hb: Hourbridge,
                                     monkeypatch: pytest.MonkeyPatch, error: Exception,
                                     status: int, code: str) -> None:
    def fail(command: object) -> object:
        raise error

    monkeypatch.setattr(hb, "handle", fail)
    body = problem(client.post("/v1/billing-runs", json={"through": "2026-07-31"}), status)
    assert body["code"] == code
    if status == 503:
        assert client.post("/v1/billing-runs", json={"through": "2026-07-31"}).headers[
            "retry-after"] == "3"


def test_unexpected_errors_leak_nothing(hb: Hourbridge, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(**_: object) -> object:
        raise RuntimeError("password=hunter2 at /srv/secret.py")

    monkeypatch.setattr(hb.queries, "entries", boom)
    with api_client(hb, raise_server_exceptions=False) as client:
        r = client.get("/v1/time-entries")
    body = problem(r, 500)
    assert body["code"] == "internal_error"
    assert "hunter2" not in r.text and "secret" not in r.text and "RuntimeError" not in r.text


# --- probes and the contract ---------------------------------------------------------------
def test_health_and_readiness(client: TestClient, hb: Hourbridge,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["schema_revision"]

    def down() -> str:
        raise OSError("connection refused")

    monkeypatch.setattr(hb, "schema_revision", down)
    r = client.get("/readyz")
    problem(r, 503)
    assert r.headers["retry-after"]
    assert client.get("/healthz").status_code == 200


def test_openapi_lists_the_paths(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert doc["info"]["title"] == "Hourbridge API"
    assert doc["info"]["version"] == __version__
    assert {
        "/healthz", "/readyz", "/v1/entities", "/v1/customers", "/v1/employees",
        "/v1/projects", "/v1/contracts", "/v1/rate-cards", "/v1/master-data",
        "/v1/time-entries", "/v1/approvals", "/v1/billing-runs", "/v1/invoices",
        "/v1/invoices/{invoice_id}", "/v1/invoices/issue", "/v1/exceptions",
        "/v1/exceptions/retry", "/v1/exceptions/dismiss", "/v1/journal",
        "/v1/journal/trial-balance", "/v1/dead-letters", "/v1/worker/drain",
    } <= set(doc["paths"])
    ingest = doc["paths"]["/v1/time-entries"]["post"]
    assert set(ingest["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert "TimeEntriesIn" in doc["components"]["schemas"]
    assert set(ingest["responses"]["422"]["content"]) == {PROBLEM}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path in doc["paths"].values():
        for operation in path.values():
            assert operation["summary"] and operation["tags"]
