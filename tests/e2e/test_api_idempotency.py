"""Idempotency-Key on write endpoints: a retry replays the first response, never runs twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

ENTRIES = [
    {"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-08-10", "hours": "2"},
    {"external_id": "a2", "employee": "E2", "project": "P1", "task": "DEV",
     "date": "2026-08-11", "hours": "1"},
]


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        r = client.post("/v1/time-entries", json={"source": "t", "entries": ENTRIES})
        assert r.status_code == 201, r.text
        yield client


def test_retry_with_same_key_replays_the_first_response(api: TestClient) -> None:
    approve = {"actor": "pm", "project": "P1"}
    first = api.post("/v1/approvals", json=approve, headers={"Idempotency-Key": "ap-1"})
    assert first.status_code == 200 and first.json()["approved"] == 2
    again = api.post("/v1/approvals", json=approve, headers={"Idempotency-Key": "ap-1"})
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"

    run = {"through": "2026-08-31"}
    billed = api.post("/v1/billing-runs", json=run, headers={"Idempotency-Key": "run-aug"})
    replay = api.post("/v1/billing-runs", json=run, headers={"Idempotency-Key": "run-aug"})
    assert billed.status_code == replay.status_code == 201
    assert replay.json() == billed.json() and len(billed.json()["invoices"]) == 1
    assert len(api.get("/v1/invoices").json()["items"]) == 1  # the replay created nothing


def test_same_key_for_a_different_request_is_refused(api: TestClient) -> None:
    api.post("/v1/approvals", json={"actor": "pm", "project": "P1"},
             headers={"Idempotency-Key": "k"})
    other = api.post("/v1/approvals", json={"actor": "pm", "employee": "E1"},
                     headers={"Idempotency-Key": "k"})
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["code"] == "idempotency_key_reused"


def test_failed_requests_are_not_remembered(api: TestClient) -> None:
    bad = api.post("/v1/approvals", json={"actor": "pm"}, headers={"Idempotency-Key": "f"})
    assert bad.status_code == 422
    good = api.post("/v1/approvals", json={"actor": "pm"}, headers={"Idempotency-Key": "f"})
    assert good.status_code == 422 and "idempotent-replayed" not in good.headers


def test_key_length_is_bounded(api: TestClient) -> None:
    r = api.post("/v1/approvals", json={"actor": "pm", "project": "P1"},
                 headers={"Idempotency-Key": "x" * 201})
    assert r.status_code == 400
