"""Holds over HTTP: place, list, bill around them, release."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        entries = [{"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
                    "date": "2026-08-10", "hours": "2"}]
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": entries}).status_code == 201
        assert client.post("/v1/approvals",
                           json={"actor": "pm", "project": "P1"}).status_code == 200
        yield client


def test_hold_place_list_release(api: TestClient) -> None:
    r = api.post("/v1/holds", json={"scope": "project", "ref": "P1", "reason": "missing_po",
                                    "actor": "am", "note": "PO 4711 pending"})
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["owner_role"] == "account_manager"
    assert [h["id"] for h in api.get("/v1/holds").json()["items"]] == [hold["id"]]
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()
    assert run["invoices_created"] == 0 and run["entries_held"] == 1
    released = api.post(f"/v1/holds/{hold['id']}/release",
                        json={"actor": "am", "note": "PO received"})
    assert released.status_code == 200 and released.json()["release_note"] == "PO received"
    assert api.get("/v1/holds").json()["items"] == []
    assert api.post("/v1/billing-runs",
                    json={"through": "2026-08-31"}).json()["invoices_created"] == 1


def test_hold_on_unknown_target_or_release_twice(api: TestClient) -> None:
    r = api.post("/v1/holds", json={"scope": "contract", "ref": "NOPE", "reason": "dispute",
                                    "actor": "am"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = api.post("/v1/holds/999/release", json={"actor": "am", "note": "x"})
    assert r.status_code == 404
