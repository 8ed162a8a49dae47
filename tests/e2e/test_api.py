"""The REST API end to end: a real app over a SQLite file, driven through HTTP (TestClient):
master data, the main job from time to invoice to ledger, and intake. Errors and probes:
``test_api_errors.py``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support.api import problem
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


# 7.5 h senior (1125.00) + 50 min analyst rounded up to 1 h (90.00) + 1 h non-billable admin
ENTRIES: list[dict[str, Any]] = [
    {"external_id": "T-1", "employee": "E1", "project": "P1", "task": "DEV",
     "date": "2026-07-01", "hours": "7.5", "notes": "Blueprint workshop"},
    {"external_id": "T-2", "employee": "E2", "project": "P1", "task": "DEV",
     "date": "2026-07-02", "minutes": 50, "notes": "Data mapping"},
    {"external_id": "T-3", "employee": "E1", "project": "P1", "task": "ADMIN",
     "date": "2026-07-03", "hours": 1, "billable": True},
]
UNKNOWN_PROJECT = {"external_id": "T-4", "employee": "E1", "project": "NOPE", "task": "DEV",
                   "date": "2026-07-03", "hours": "2"}


def _ingest(client: TestClient, entries: list[dict[str, Any]], source: str = "tracker",
            **kwargs: Any) -> Any:
    return client.post("/v1/time-entries", json={"source": source, "entries": entries},
                       **kwargs)


# --- the main job --------------------------------------------------------------------------
def test_master_data_load_counts_and_lists(client: TestClient, firm: dict[str, Any]) -> None:
    r = client.post("/v1/master-data", json=firm)
    assert r.status_code == 200, r.text
    counts = r.json()["counts"]
    assert counts["entities"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert counts["employees"]["created"] == 2
    assert counts["rate_cards"]["created"] == 1

    again = client.post("/v1/master-data", json=firm).json()
    assert all(c["created"] == 0 and c["updated"] == 0 for c in again["counts"].values())
    assert again["changes"] == [] and again["dry_run"] is False

    assert [e["code"] for e in client.get("/v1/entities").json()["items"]] == ["DE"]
    assert client.get("/v1/entities").json()["items"][0]["tax_rates"] == {"standard": "19"}
    assert [c["id"] for c in client.get("/v1/customers").json()["items"]] == ["ACME"]
    assert [e["id"] for e in client.get("/v1/employees").json()["items"]] == ["E1", "E2"]
    project = client.get("/v1/projects").json()["items"][0]
    assert {t["code"]: t["billable"] for t in project["tasks"]} == {"DEV": True, "ADMIN": False}
    contract = client.get("/v1/contracts").json()["items"][0]
    assert contract["versions"][0]["rounding"]["increment_minutes"] == 15
    rows = client.get("/v1/rate-cards").json()["items"][0]["rows"]
    assert {row["role"]: Decimal(row["rate"]) for row in rows} == {
        "senior": Decimal(150), "analyst": Decimal(90)}
    assert all(isinstance(row["rate"], str) for row in rows)


def test_time_to_invoice_to_ledger(loaded: TestClient) -> None:
    client = loaded
    r = _ingest(client, [*ENTRIES, UNKNOWN_PROJECT])
    assert r.status_code == 201, r.text
    report = r.json()
    assert (report["rows"], report["accepted"], report["rejected"]) == (4, 3, 1)
    assert report["reasons"] == {"unknown_project": 1}

    exceptions = client.get("/v1/exceptions", params={"reason": "unknown_project"}).json()
    assert exceptions["by_reason"] == {"unknown_project": 1}
    assert [(e["reason"], e["external_id"], e["owner_role"]) for e in exceptions["items"]] == [
        ("unknown_project", "T-4", "project_manager")]

    entries = client.get("/v1/time-entries").json()["items"]
    assert [e["external_id"] for e in entries] == ["T-1", "T-2", "T-3"]
    assert [e["billable"] for e in entries] == [True, True, False]
    assert entries[1]["billable_seconds"] == 3600  # 50 minutes rounded up to the quarter hour

    r = client.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
    assert r.status_code == 200, r.text
    approval = r.json()
    assert (approval["approved"], approval["billable"]) == (3, 2)
    assert Decimal(approval["wip"]["EUR"]) == Decimal("1215.00")
    assert client.get("/v1/time-entries", params={"approval": "approved"}).json()["items"][0][
        "wip_amount"] is not None

    r = client.post("/v1/billing-runs", json={"through": "2026-07-31", "dry_run": True})
    assert r.status_code == 200, r.text
    dry = r.json()
    assert dry["dry_run"] is True and dry["invoices_created"] == 0
    assert [i["id"] for i in dry["invoices"]] == [None]
    assert Decimal(dry["invoices"][0]["net"]) == Decimal("1215.00")
    assert client.get("/v1/invoices").json()["items"] == []

    r = client.post("/v1/billing-runs", json={"through": "2026-07-31"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["invoices_created"] == 1 and run["entries_billed"] == 2
    invoice_id = run["invoices"][0]["id"]

    again = client.post("/v1/billing-runs", json={"through": "2026-07-31"}).json()
    assert again["invoices_created"] == 0 and again["entries_billed"] == 0
    assert again["changes_since_last_run"] == []  # the waiting draft is unchanged
    assert [(n["contract"], n["reason"]) for n in again["not_invoiced"]] == [
        ("K1", "nothing_open")]

    invoice = client.get(f"/v1/invoices/{invoice_id}").json()
    assert invoice["status"] == "draft" and invoice["number"] is None
    lines = invoice["lines"]
    assert sum(Decimal(ln["amount"]) for ln in lines) == Decimal(invoice["net"])
    assert Decimal(invoice["net"]) == Decimal("1215.00")
    assert Decimal(invoice["tax"]) == Decimal("230.85")
    assert Decimal(invoice["total"]) == Decimal("1445.85")
    billable_ids = {e["id"] for e in entries if e["billable"]}
    assert {link["entry"] for ln in lines for link in ln["entries"]} == billable_ids
    assert all(isinstance(ln["amount"], str) and isinstance(ln["quantity_hours"], str)
               for ln in lines)

    r = client.post("/v1/invoices/issue",
                    json={"invoice_ids": [invoice_id], "issue_date": "2026-08-01"})
    assert r.status_code == 200, r.text
    issued = r.json()
    assert issued["count"] == 1
    assert issued["issued"][0]["number"] == "DE-000001"
    assert issued["issued"][0]["due_date"] == "2026-08-15"
    listed = client.get("/v1/invoices", params={"status": "issued"}).json()["items"]
    assert [(i["id"], i["number"]) for i in listed] == [(invoice_id, "DE-000001")]

    body = problem(client.post("/v1/invoices/issue",
                                json={"invoice_ids": [invoice_id], "issue_date": "2026-08-01"}),
                    409)
    assert body["code"] == "conflict" and str(invoice_id) in body["detail"]

    # the background drains after approval and issue already delivered; a drain finds nothing
    assert client.post("/v1/worker/drain").json() == {"delivered": 0, "retried": 0, "dead": 0}
    journal = client.get("/v1/journal").json()["items"]
    assert len(journal) == 2
    assert all(isinstance(line["debit"], str) for je in journal for line in je["lines"])
    balance = client.get("/v1/journal/trial-balance").json()["items"]
    assert balance
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in balance:
        sums[(row["entity"], row["currency"])] += Decimal(row["balance"])
    assert sums == {("DE", "EUR"): Decimal(0)}
    assert client.get("/v1/dead-letters").json()["items"] == []
    billing = {e["billing"] for e in client.get("/v1/time-entries").json()["items"]
               if e["billable"]}
    assert billing == {"invoiced"}


# --- intake --------------------------------------------------------------------------------
def test_same_payload_twice_adds_nothing(loaded: TestClient) -> None:
    first = _ingest(loaded, ENTRIES)
    assert first.status_code == 201, first.text
    assert first.json()["accepted"] == 3
    second = _ingest(loaded, ENTRIES)
    assert second.status_code == 200, second.text
    replay = second.json()
    assert replay["duplicate_payload"] is True
    assert replay["inbox_id"] == first.json()["inbox_id"]
    assert replay["accepted"] == replay["rows"] == 0
    assert len(loaded.get("/v1/time-entries").json()["items"]) == 3


def test_idempotency_key_names_the_inbox_file_and_replays(loaded: TestClient) -> None:
    headers = {"Idempotency-Key": "0b9e3c1a-key"}
    r = _ingest(loaded, [UNKNOWN_PROJECT], headers=headers)
    assert r.status_code == 201, r.text
    replay = _ingest(loaded, [UNKNOWN_PROJECT], headers=headers)
    assert replay.status_code == 201 and replay.json() == r.json()
    assert replay.headers["idempotent-replayed"] == "true"
    resent = _ingest(loaded, [UNKNOWN_PROJECT])  # no key: the payload fingerprint decides
    assert resent.status_code == 200 and resent.json()["duplicate_payload"] is True
    [item] = loaded.get("/v1/exceptions").json()["items"]
    assert item["location"].startswith("api-0b9e3c1a-key")

    bad = problem(_ingest(loaded, ENTRIES, headers={"Idempotency-Key": "no spaces"}), 422)
    assert bad["errors"][0]["location"] == "header"


def test_csv_body_with_source_parameter(loaded: TestClient) -> None:
    text = ("external_id,employee,project,task,date,hours,notes\n"
            "S-1,E1,P1,DEV,2026-07-06,2.25,Review\n"
            "S-2,E2,P1,DEV,2026-07-06,1,Tests\n")
    r = loaded.post("/v1/time-entries", content=text.encode(),
                    headers={"content-type": "text/csv"}, params={"source": "sheet"})
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] == 2
    stored = loaded.get("/v1/time-entries", params={"employee": "E1"}).json()["items"]
    assert [(e["source"], e["external_id"], e["worked_seconds"]) for e in stored] == [
        ("sheet", "S-1", 8100)]

    no_source = problem(loaded.post("/v1/time-entries", content=text.encode(),
                                     headers={"content-type": "text/csv"}), 422)
    assert no_source["errors"][0]["location"] == "query"
    assert no_source["errors"][0]["field"] == "source"
    assert no_source["errors"][0]["pointer"] is None

    problem(loaded.post("/v1/time-entries", content=b"hello",
                         headers={"content-type": "text/plain"}), 415)


def test_time_entry_body_is_validated(loaded: TestClient) -> None:
    body = problem(loaded.post("/v1/time-entries", json={"entries": ENTRIES}), 422)
    assert body["errors"][0]["pointer"] == "#/source"

    body = problem(loaded.post("/v1/time-entries", json={"source": "t", "entries": [
        {"external_id": "X", "hours": [1]}]}), 422)
    assert {e["pointer"] for e in body["errors"]} >= {"#/entries/0/hours"}

    too_many = [{"external_id": str(i)} for i in range(10_001)]
    body = problem(_ingest(loaded, too_many), 422)
    assert body["errors"][0]["pointer"] == "#/entries"

    body = problem(loaded.post("/v1/time-entries", content=b"{not json",
                                headers={"content-type": "application/json"}), 422)
    assert body["errors"][0]["code"] == "json_invalid"
    body = problem(loaded.post("/v1/time-entries", content=b'{"source": "t", "entries": '
                                b'[{"external_id": "N", "hours": NaN}]}',
                                headers={"content-type": "application/json"}), 422)
    assert body["errors"][0]["code"] == "json_invalid"


def test_bad_rows_are_queued_not_refused(loaded: TestClient) -> None:
    r = _ingest(loaded, [{"external_id": "B-1", "employee": "E1", "project": "P1",
                          "date": "01.07.2026", "hours": "2"}])
    assert r.status_code == 201, r.text
    assert r.json()["reasons"] == {"invalid_format": 1}
    assert loaded.get("/v1/exceptions").json()["by_reason"] == {"invalid_format": 1}


def test_exceptions_retry_after_fix_and_dismiss(loaded: TestClient,
                                                firm: dict[str, Any]) -> None:
    _ingest(loaded, [
        {"external_id": "N-1", "employee": "E9", "project": "P1", "task": "DEV",
         "date": "2026-07-07", "hours": "1"},
        UNKNOWN_PROJECT,
    ])
    items = loaded.get("/v1/exceptions").json()["items"]
    by_reason = {e["reason"]: e["id"] for e in items}
    assert set(by_reason) == {"unknown_employee", "unknown_project"}

    firm["employees"].append({"id": "E9", "entity": "DE", "role": "analyst"})
    firm["projects"][0]["assignments"].append({"employee": "E9", "valid_from": "2026-07-01"})
    assert loaded.post("/v1/master-data", json=firm).status_code == 200
    retried = loaded.post("/v1/exceptions/retry",
                          json={"ids": [by_reason["unknown_employee"]]}).json()
    assert retried["resolved"] == [by_reason["unknown_employee"]]
    assert [e["external_id"] for e in loaded.get("/v1/time-entries").json()["items"]] == ["N-1"]

    problem(loaded.post("/v1/exceptions/dismiss",
                         json={"ids": [by_reason["unknown_project"]], "note": " ",
                               "actor": "pm"}), 422)
    r = loaded.post("/v1/exceptions/dismiss", json={
        "ids": [by_reason["unknown_project"]], "note": "test row", "actor": "pm"})
    assert r.json() == {"dismissed": 1}
    assert loaded.get("/v1/exceptions").json() == {"by_reason": {}, "items": [],
                                                   "has_more": False, "next_cursor": None}
    dismissed = loaded.get("/v1/exceptions", params={"status": "dismissed"}).json()["items"]
    assert [(e["id"], e["note"]) for e in dismissed] == [(by_reason["unknown_project"],
                                                          "test row")]
