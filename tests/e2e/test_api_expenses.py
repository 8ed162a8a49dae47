"""Expenses over HTTP: JSON and CSV intake, listing, approval, problems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

PROBLEM = "application/problem+json"
EXPENSES: list[dict[str, Any]] = [
    {"external_id": "X-1", "employee": "E1", "project": "P1", "date": "2026-08-10",
     "amount": "120.50", "currency": "EUR", "category": "travel", "description": "Train",
     "receipt_ref": "R-1"},
    {"external_id": "X-2", "employee": "E2", "project": "P1", "date": "2026-08-11",
     "amount": 89, "currency": "EUR", "category": "hotel", "billable": False},
    {"external_id": "X-3", "employee": "E1", "project": "P1", "date": "2026-08-11",
     "amount": "10.999", "currency": "EUR", "category": "meals"},
    {"external_id": "X-4", "employee": "E1", "project": "P1", "date": "2026-08-11",
     "amount": "10", "currency": "USD", "category": "meals"},
]


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        firm = small_firm_bundle()
        # K1 passes expenses on, so one in another currency needs a rate (no_fx_rate)
        firm["contracts"][0]["expenses"] = {"billing": "at_cost"}
        assert client.post("/v1/master-data", json=firm).status_code == 200
        yield client


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"]
    return body


def test_json_intake_list_and_approve(api: TestClient) -> None:
    r = api.post("/v1/expenses", json={"source": "expensify", "expenses": EXPENSES})
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["rows"], report["accepted"], report["rejected"]) == (4, 2, 2)
    assert report["reasons"] == {"invalid_amount": 1, "no_fx_rate": 1}
    again = api.post("/v1/expenses", json={"source": "expensify", "expenses": EXPENSES})
    assert again.status_code == 200 and again.json()["duplicate_payload"]

    listed = api.get("/v1/expenses", params={"project": "P1"}).json()["items"]
    assert [(e["external_id"], e["amount"], e["billing"], e["approval"]) for e in listed] == [
        ("X-1", "120.50", "unbilled", "submitted"), ("X-2", "89.00", "non_billable",
                                                     "submitted")]
    assert listed[0]["receipt_ref"] == "R-1" and listed[0]["contract"] == "K1"
    exceptions = api.get("/v1/exceptions", params={"reason": "no_fx_rate"}).json()
    assert [e["external_id"] for e in exceptions["items"]] == ["X-4"]

    r = api.post("/v1/expense-approvals", json={"actor": "pm", "project": "P1"})
    assert r.status_code == 200, r.text
    assert r.json() == {"approved": 2, "billable": 1, "skipped": [],
                        "billable_amount": {"EUR": "120.50"}}
    approved = api.get("/v1/expenses", params={"approval": "approved", "billing": "unbilled"})
    assert [e["external_id"] for e in approved.json()["items"]] == ["X-1"]


def test_csv_intake_with_source_parameter(api: TestClient) -> None:
    text = ("external_id,employee,project,date,amount,currency,category,billable\n"
            "C-1,E1,P1,2026-08-10,42.00,EUR,meals,true\n"
            "C-2,E1,P1,2026-08-10,0,EUR,meals,true\n")
    r = api.post("/v1/expenses", content=text.encode(), params={"source": "sheet"},
                 headers={"content-type": "text/csv", "Idempotency-Key": "exp-1"})
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["reasons"]) == (1, {"invalid_amount": 1})
    stored = api.get("/v1/expenses").json()["items"]
    assert [(e["source"], e["external_id"], e["amount"]) for e in stored] == [
        ("sheet", "C-1", "42.00")]
    no_source = _problem(api.post("/v1/expenses", content=text.encode(),
                                  headers={"content-type": "text/csv"}), 422)
    assert no_source["errors"][0]["field"] == "source"
    _problem(api.post("/v1/expenses", content=b"x", headers={"content-type": "text/plain"}),
             415)


def test_bodies_and_commands_are_validated(api: TestClient) -> None:
    body = _problem(api.post("/v1/expenses", json={"expenses": EXPENSES}), 422)
    assert body["errors"][0]["pointer"] == "#/source"
    body = _problem(api.post("/v1/expenses", json={"source": "s", "expenses": [
        {"external_id": "X", "amount": [1]}]}), 422)
    assert {e["pointer"] for e in body["errors"]} >= {"#/expenses/0/amount"}
    body = _problem(api.post("/v1/expenses", json={"source": "s", "entries": EXPENSES}), 422)
    assert {e["pointer"] for e in body["errors"]} == {"#/expenses", "#/entries"}
    body = _problem(api.post("/v1/expense-approvals", json={"actor": "pm"}), 422)
    assert "say what to approve" in body["detail"]
    _problem(api.get("/v1/expenses", params={"billing": "on_draft"}), 422)


def test_openapi_documents_expenses(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    assert {"/v1/expenses", "/v1/expense-approvals"} <= set(doc["paths"])
    post = doc["paths"]["/v1/expenses"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "text/csv"}
    assert "ExpensesIn" in doc["components"]["schemas"]
    assert set(post["responses"]["422"]["content"]) == {PROBLEM}


def test_a_converted_expense_line_serves_its_original_amount_and_rate(
        api: TestClient) -> None:
    firm = small_firm_bundle()
    firm["contracts"][0]["expenses"] = {"billing": "at_cost"}
    firm["fx_rates"] = [{"from_currency": "USD", "to_currency": "EUR",
                         "valid_from": "2026-07-01", "rate": "0.9215"}]
    assert api.post("/v1/master-data", json=firm).status_code == 200
    r = api.post("/v1/expenses", json={"source": "expensify", "expenses": [EXPENSES[3]]})
    assert r.status_code == 201 and r.json()["accepted"] == 1, r.text
    assert api.post("/v1/expense-approvals", json={"actor": "pm", "project": "P1"}
                    ).status_code == 200
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"})
    assert run.status_code == 201, run.text
    [invoice] = run.json()["invoices"]
    [line] = api.get(f"/v1/invoices/{invoice['id']}").json()["lines"]
    assert (line["amount"], line["original_amount"], line["original_currency"],
            line["original_rate"]) == ("9.22", "10.00", "USD", "0.9215")  # 9.215 half up
