"""Two legal entities with work in each, for the authorization tests (issue 14): the small
firm (DE) and an Austrian sister (AT), time approved and billed to one draft invoice each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from hourbridge.bootstrap import Hourbridge

from .api import api_key, bearer
from .firm import small_firm_bundle


def two_entity_firm() -> dict[str, Any]:
    """The small firm (DE) and an Austrian sister with its own customer, contract, project
    and consultant."""
    bundle = small_firm_bundle()
    bundle["entities"].append({"code": "AT", "name": "Beispiel Wien GmbH", "country": "AT",
                               "currency": "EUR", "invoice_prefix": "AT",
                               "tax_rates": {"standard": "20"}})
    bundle["customers"].append({"id": "WIEN", "name": "Wien AG", "entity": "AT",
                                "currency": "EUR", "country": "AT"})
    bundle["employees"][0]["cost_rates"] = [
        {"valid_from": "2026-01-01", "rate": "80.00", "currency": "EUR"}]
    bundle["employees"].append({"id": "Z1", "entity": "AT", "role": "analyst"})
    bundle["contracts"].append({
        "id": "K2", "customer": "WIEN", "entity": "AT", "currency": "EUR",
        "start_date": "2026-07-01", "end_date": "2026-12-31",
        "versions": [{"version": 1, "effective_from": "2026-07-01"}]})
    bundle["projects"].append({
        "code": "P2", "name": "Wien rollout", "customer": "WIEN", "entity": "AT",
        "contract": "K2", "tasks": [{"code": "DEV", "name": "Development"}],
        "assignments": [{"employee": "Z1", "valid_from": "2026-07-01"}]})
    return bundle


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def seed_two_entities(hb: Hourbridge, client: TestClient) -> dict[str, Any]:
    """Two entities with time, approved and billed: one draft invoice each."""
    admin = bearer(api_key(hb, "admin"))
    assert client.post("/v1/master-data", json=two_entity_firm(),
                       headers=admin).status_code == 200
    entries = [{"external_id": f"t{i}", "employee": e, "project": p, "task": "DEV",
                "work_date": f"2026-08-1{i}", "hours": "2"}
               for i, (e, p) in enumerate([("E1", "P1"), ("E2", "P1"), ("Z1", "P2"),
                                           ("E2", "P1"), ("Z1", "P2")])]
    assert client.post("/v1/time-entries", json={"source": "t", "time_entries": entries},
                       headers=admin).status_code == 201
    ids = {r["external_id"]: r["id"]
           for r in client.get("/v1/entries", headers=admin).json()["items"]}
    approved = client.post("/v1/approvals", headers=admin,
                           json={"entry_ids": [ids["t0"], ids["t1"], ids["t2"]]})
    assert approved.json()["approved"] == 3, approved.text
    assert client.post("/v1/billing-runs", json={"through": "2026-08-31"},
                       headers=admin).json()["invoices_created"] == 2
    invoices = {i["entity"]: i["id"]
                for i in client.get("/v1/invoices", headers=admin).json()["items"]}
    return {"admin": admin, "invoice": invoices, "pending": {"DE": ids["t3"], "AT": ids["t4"]},
            "E1": ids["t0"]}




def invoice_of(seeded: dict[str, Any], entity: str) -> int:
    return int(seeded["invoice"][entity])
