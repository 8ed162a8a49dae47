"""FX over HTTP: rates loaded and listed, refusals as problems naming the field, a foreign
contract through to the functional trial balance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support.firm import small_firm_bundle

PROBLEM = "application/problem+json"
RATES = [{"from_currency": "CHF", "to_currency": "EUR", "valid_from": "2026-07-01",
          "rate": "1.0612"},
         {"from_currency": "CHF", "to_currency": "EUR", "valid_from": "2026-08-15",
          "rate": 1.0587},  # a JSON number is read through its text: exactly 1.0587
         {"from_currency": "USD", "to_currency": "EUR", "valid_from": "2026-07-01",
          "rate": "0.9215"}]


def chf_firm() -> dict[str, Any]:
    firm = small_firm_bundle()
    firm["customers"][0].update(currency="CHF", country="CH", vat_id=None)
    firm["contracts"][0]["currency"] = "CHF"
    firm["rate_cards"][0]["currency"] = "CHF"
    return firm


def problem(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    return body


def test_rates_load_list_and_answer_the_rate_in_force(client: TestClient) -> None:
    r = client.post("/v1/fx-rates", json={"fx_rates": RATES})
    assert r.status_code == 200, r.text
    assert r.json() == {"fx_rates": {"created": 3, "updated": 0, "unchanged": 0}}
    assert client.post("/v1/fx-rates", json={"fx_rates": RATES}).json() == {
        "fx_rates": {"created": 0, "updated": 0, "unchanged": 3}}
    listed = client.get("/v1/fx-rates").json()["items"]
    assert [(x["from_currency"], x["valid_from"], x["rate"]) for x in listed] == [
        ("CHF", "2026-07-01", "1.0612"), ("CHF", "2026-08-15", "1.0587"),
        ("USD", "2026-07-01", "0.9215")]
    on = client.get("/v1/fx-rates", params={"on": "2026-08-14", "from_currency": "CHF"})
    assert [x["rate"] for x in on.json()["items"]] == ["1.0612"]
    assert client.get("/v1/fx-rates", params={"on": "2026-06-30"}).json()["items"] == []
    corrected = [{**RATES[0], "rate": "1.0613"}]
    assert client.post("/v1/fx-rates", json={"fx_rates": corrected}).json() == {
        "fx_rates": {"created": 0, "updated": 1, "unchanged": 0}}


@pytest.mark.parametrize(("rate", "pointer", "words"), [
    ({**RATES[0], "rate": "1.123456789"}, "#/fx_rates/0/rate", "8 decimal places"),
    ({**RATES[0], "rate": "0"}, "#/fx_rates/0/rate", "greater than 0"),
    ({**RATES[0], "to_currency": "eur"}, "#/fx_rates/0/to_currency", "pattern"),
    ({**RATES[0], "to_currency": "CHF"}, "#/fx_rates/0/to_currency", "two different"),
    ({**RATES[0], "from_currency": "XYZ"}, "#/fx_rates/0/from_currency", "ISO 4217"),
])
def test_a_bad_rate_is_a_problem_pointing_at_it(client: TestClient, rate: dict[str, Any],
                                                pointer: str, words: str) -> None:
    body = problem(client.post("/v1/fx-rates", json={"fx_rates": [rate]}))
    [error] = body["errors"]
    assert error["pointer"] == pointer and words in error["reason"], error
    assert client.get("/v1/fx-rates").json()["items"] == []


def test_a_contract_in_a_currency_without_rates_is_refused_naming_its_currency(
        client: TestClient) -> None:
    body = problem(client.post("/v1/master-data", json=chf_firm()))
    errors = {e["pointer"]: e for e in body["errors"]}
    assert errors["#/contracts/0/currency"]["code"] == "no_fx_rate"
    assert "CHF -> EUR" in errors["#/contracts/0/currency"]["reason"]
    firm = chf_firm()
    firm["contracts"][0].update(fx_rate_date="fixed")
    body = problem(client.post("/v1/master-data", json=firm))
    assert [e["pointer"] for e in body["errors"]] == ["#/contracts/0/fx_fixed_rate"]


def test_a_foreign_contract_shows_in_the_functional_trial_balance(client: TestClient) -> None:
    firm = chf_firm()
    firm["fx_rates"] = RATES
    assert client.post("/v1/master-data", json=firm).status_code == 200
    entries = [{"external_id": "t1", "employee": "E1", "project": "P1", "task": "DEV",
                "date": "2026-08-10", "hours": "2"}]
    assert client.post("/v1/time-entries", json={"source": "t", "entries": entries}
                       ).status_code == 201
    approved = client.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
    assert approved.status_code == 200, approved.text
    client.post("/v1/billing-runs", json={"through": "2026-08-31"})
    issued = client.post("/v1/invoices/issue", json={"all": True, "actor": "ar"})
    assert issued.status_code == 200, issued.text
    [invoice] = client.get("/v1/invoices").json()["items"]
    assert invoice["currency"] == "CHF" and invoice["fx_rate"] == "1.0587"
    tb = client.get("/v1/journal/trial-balance").json()["items"]
    assert {r["currency"] for r in tb} == {"CHF"}
    assert sum(Decimal(r["functional_balance"]) for r in tb) == 0
    assert {r["functional_currency"] for r in tb} == {"EUR"}
    functional = client.get("/v1/journal/trial-balance/functional").json()["items"]
    by_account = {r["account"]: Decimal(r["balance"]) for r in functional}
    # 2 h x 150 CHF = 300 CHF: WIP at 1.0612 (work date) = 318.36 EUR, invoice at 1.0587
    assert by_account["1200"] == Decimal("317.61")
    assert by_account["1210"] == 0 and by_account["4000"] == Decimal("-318.36")
    assert by_account["4900"] == Decimal("0.75")  # the franc fell: an FX loss
    lines = [ln for e in client.get("/v1/journal").json()["items"] for ln in e["lines"]]
    assert {ln["fx_rate"] for ln in lines} == {"1.0612", "1.0587", "0"}


def test_loading_rates_is_idempotent_by_key(client: TestClient) -> None:
    headers = {"Idempotency-Key": "rates-2026-08"}
    first = client.post("/v1/fx-rates", json={"fx_rates": RATES[:1]}, headers=headers)
    again = client.post("/v1/fx-rates", json={"fx_rates": RATES[:1]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = client.post("/v1/fx-rates", json={"fx_rates": RATES[1:2]}, headers=headers)
    assert other.status_code == 422  # the same key with another request
