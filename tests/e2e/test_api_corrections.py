"""Voids and correction proposals over HTTP: the happy paths and every refusal as an RFC 9457
problem with its reason code."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import actor, api_client
from support.firm import small_firm_bundle

PROBLEM = "application/problem+json"


def _entry(external_id: str, hours: str, revision: int = 1, **more: Any) -> dict[str, Any]:
    return {"external_id": external_id, "employee": "E1", "project": "P1", "task": "DEV",
            "date": "2026-08-20", "hours": hours, "revision": revision, **more}


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        r = client.post("/v1/time-entries", json={"source": "t", "entries": [
            _entry("a1", "2"), _entry("a2", "1")]})
        assert r.status_code == 201, r.text
        assert client.post("/v1/approvals",
                           json={"actor": "pm", "project": "P1"}).status_code == 200
        yield client


def _issued(api: TestClient) -> dict[str, Any]:
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()
    [inv] = run["invoices"]
    r = api.post("/v1/invoices/issue", json={"invoice_ids": [inv["id"]]})
    assert r.status_code == 200, r.text
    detail: dict[str, Any] = api.get(f"/v1/invoices/{inv['id']}").json()
    return detail


def _problem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == code


def test_void_over_http(api: TestClient) -> None:
    inv = _issued(api)
    _problem(api.post(f"/v1/invoices/{inv['id']}/void", json={"actor": "f"}), 422,
             "validation_failed")
    key = {"Idempotency-Key": "void-1"}
    r = api.post(f"/v1/invoices/{inv['id']}/void", json={"actor": "f", "reason": "duplicate"},
                 headers=key)
    assert r.status_code == 200, r.text
    body = r.json()
    replay = api.post(f"/v1/invoices/{inv['id']}/void",
                      json={"actor": "f", "reason": "duplicate"}, headers=key)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == body
    assert (body["number"], body["status"], body["was"], body["wip_restored"]) == (
        "DE-000001", "void", "issued", "495.00")
    listed = api.get("/v1/invoices", params={"status": "void"}).json()["items"]
    assert [(i["number"], i["void_reason"], i["voided_by"]) for i in listed] == [
        ("DE-000001", "duplicate", actor(api))]
    _problem(api.post(f"/v1/invoices/{inv['id']}/void", json={"actor": "f", "reason": "x"}),
             409, "invoice_already_void")
    _problem(api.post("/v1/credit-notes", json={"invoice_id": inv["id"], "reason": "x",
                                                "actor": "f"}), 409, "conflict")
    _problem(api.post("/v1/invoices/999/void", json={"actor": "f", "reason": "x"}), 404,
             "not_found")
    second = _issued(api)
    assert second["number"] == "DE-000002"
    api.post("/v1/credit-notes", json={"invoice_id": second["id"], "reason": "part",
                                       "actor": "f", "lines": [{"line_no": 1,
                                                                "seconds": 1800}]})
    _problem(api.post(f"/v1/invoices/{second['id']}/void",
                      json={"actor": "f", "reason": "x"}), 409, "invoice_credited")
    [check] = api.get("/v1/invoice-sequences").json()["items"]
    assert (check["last_number"], check["voids"], check["gapless"]) == (3, 1, True)


def test_corrections_over_http(api: TestClient) -> None:
    inv = _issued(api)
    r = api.post("/v1/time-entries", json={"source": "t", "entries": [
        _entry("a1", "3", 2), {"external_id": "a2", "deleted": True, "revision": 2}]})
    assert r.status_code == 201, r.text
    assert r.json()["corrections_proposed"] == 2
    changed, deleted = api.get("/v1/corrections").json()["items"]
    assert (changed["kind"], changed["invoice_number"], changed["difference"]) == (
        "changed", "DE-000001", "165.00")
    assert deleted["kind"] == "deleted" and deleted["after"] is None
    _problem(api.post(f"/v1/corrections/{deleted['id']}/reject", json={"actor": "c"}), 422,
             "invalid_input")
    r = api.post(f"/v1/corrections/{deleted['id']}/reject",
                 json={"actor": "c", "note": "deleted by mistake in the tracker"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    r = api.post(f"/v1/corrections/{changed['id']}/apply", json={"actor": "c"})
    assert r.status_code == 200, r.text
    [note] = r.json()["outcome"]["credit_notes"]
    assert (note["number"], note["net"]) == ("DE-000002", "330.00")
    _problem(api.post(f"/v1/corrections/{changed['id']}/apply", json={"actor": "c"}), 409,
             "correction_closed")
    _problem(api.post("/v1/corrections/999/apply", json={"actor": "c"}), 404, "not_found")
    assert api.get("/v1/corrections").json()["items"] == []
    assert len(api.get("/v1/corrections", params={"status": "all"}).json()["items"]) == 2
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()
    assert [i["net"] for i in run["invoices"]] == ["495.00"]
    assert api.get(f"/v1/invoices/{inv['id']}").json() == inv  # never edited in place
    balance = api.get("/v1/journal/trial-balance").json()["items"]
    assert sum(Decimal(r["balance"]) for r in balance) == 0
