"""Write-ups and write-downs over HTTP."""

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
        entries = [{"external_id": "a1", "employee": "E2", "project": "P1", "task": "DEV",
                    "date": "2026-08-10", "hours": "2"}]
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": entries}).status_code == 201
        yield client


def test_adjust_then_bill_and_refuse_after_billing(api: TestClient) -> None:
    [entry] = api.get("/v1/time-entries").json()["items"]
    assert api.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    r = api.post("/v1/adjustments", json={"entry_id": entry["id"], "billable_seconds": 5400,
                                          "reason": "training time", "actor": "pm"})
    assert r.status_code == 201, r.text
    assert r.json()["wip_delta"] == "-45.00"  # half an hour at 90
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()
    assert run["invoices"][0]["net"] == "135.00"
    again = api.post("/v1/adjustments", json={"entry_id": entry["id"], "billable_seconds": 7200,
                                              "reason": "undo", "actor": "pm"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
