"""POST /v1/master-data: a dry run returns the diff and writes nothing; nested parts merge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
        yield client


def _p1(assignments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"projects": [{"code": "P1", "name": "ERP rollout", "customer": "ACME",
                          "entity": "DE", "contract": "K1", "assignments": assignments}]}


def _assigned(api: TestClient) -> list[str]:
    [p1] = [p for p in api.get("/v1/projects").json()["items"] if p["code"] == "P1"]
    return [a["employee"] for a in p1["assignments"]]


def test_dry_run_returns_the_diff_and_writes_nothing(api: TestClient) -> None:
    body = _p1([{"employee": "E3", "valid_from": "2026-08-01"},
                {"employee": "E2", "valid_from": "2026-07-01", "remove": True}])
    r = api.post("/v1/master-data", params={"dry_run": "true"}, json=body)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["dry_run"] is True
    assert report["counts"] == {"projects": {"created": 0, "updated": 1, "unchanged": 0}}
    [change] = report["changes"]
    assert [(p["key"], p["action"]) for p in change["parts"]] == [
        ("E3@2026-08-01", "added"), ("E2@2026-07-01", "removed")]
    assert _assigned(api) == ["E1", "E2"]

    real = api.post("/v1/master-data", json=body).json()
    assert real["dry_run"] is False and real["changes"] == report["changes"]
    assert _assigned(api) == ["E1", "E3"]


def test_replace_and_a_bad_field_over_http(api: TestClient) -> None:
    body = _p1([{"employee": "E1", "valid_from": "2026-07-01"}])
    assert api.post("/v1/master-data", json=body).json()["changes"] == []  # merge: E2 stays
    r = api.post("/v1/master-data", params={"replace": "true"}, json=body).json()
    # the old whole-replace: parts the body does not give go, tasks included, each listed
    assert [(p["key"], p["action"]) for p in r["changes"][0]["parts"]] == [
        ("DEV", "removed"), ("TRAVEL", "removed"), ("E2@2026-07-01", "removed")]
    assert _assigned(api) == ["E1"]

    bad = _p1([{"employee": "E1", "valid_from": "2026-07-01", "remove": True, "role": "x"}])
    problem = api.post("/v1/master-data", json=bad)
    assert problem.status_code == 422
    assert [e["pointer"] for e in problem.json()["errors"]] == [
        "#/projects/0/assignments/0/role"]


def test_records_stored_before_stricter_checks_stay_listable(api: TestClient) -> None:
    """A record an earlier version stored with a value today's load refuses (country XX, a
    VAT id without digits) is still listed as stored; only loading it again is refused."""
    assert api.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
    hb = api.app.state.hourbridge  # type: ignore[attr-defined]
    from sqlalchemy import text

    with hb.engine.begin() as conn:
        conn.execute(text("UPDATE customers SET country = 'XX', vat_id = 'hello world' "
                          "WHERE id = 'ACME'"))
    listed = api.get("/v1/customers")
    assert listed.status_code == 200
    acme = next(c for c in listed.json()["items"] if c["id"] == "ACME")
    assert (acme["country"], acme["vat_id"]) == ("XX", "hello world")
    refused = api.post("/v1/master-data", json={"customers": [acme]})
    assert refused.status_code == 422


def test_party_data_and_percent_rates_round_trip_over_http(api: TestClient) -> None:
    """GET returns what POST took, in the bundle's shape: rates in percent, the party data;
    a fraction rate loads with a warning in the response."""
    firm = small_firm_bundle()
    firm["entities"][0].update(tax_rates={"standard": "0.19"}, bank_accounts=[
        {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}])
    firm["customers"][0].update(address={"lines": ["Rheinallee 12"], "city": "Düsseldorf",
                                         "postal_code": "40221", "country": "DE"},
                                electronic_address={"scheme": "0088", "id": "4000001000005"})
    loaded = api.post("/v1/master-data", json=firm)
    assert loaded.status_code == 200, loaded.text
    [warning] = loaded.json()["warnings"]
    assert "entities[0].tax_rates.standard: 0.19 is read as the old fraction form" in warning
    [entity] = api.get("/v1/entities").json()["items"]
    assert entity["tax_rates"] == {"standard": "19"}
    assert entity["bank_accounts"][0]["iban"] == "DE89370400440532013000"
    acme = next(c for c in api.get("/v1/customers").json()["items"] if c["id"] == "ACME")
    assert acme["address"]["city"] == "Düsseldorf"
    assert acme["electronic_address"] == {"scheme": "0088", "id": "4000001000005"}
    bad = api.post("/v1/master-data", json={"customers": [{
        **firm["customers"][0], "address": {"city": "Köln"}}]})
    assert bad.status_code == 422
    assert "customers[0].address.country" in bad.text
