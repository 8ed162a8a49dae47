"""``GET /v1/entries`` and ``GET /v1/entries/{entry}``: the entries list with its filters,
keyset pages, and one entry by id or ``SOURCE:EXTERNAL_ID``; invoices by payment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import actor, api_client
from support.firm import small_firm_bundle

ROWS = [{"external_id": f"W-{i}", "employee": "E1", "project": "P1", "task": "DEV",
         "date": f"2026-08-{10 + i:02d}", "hours": "2"} for i in range(5)]


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=database_url))
    try:
        with api_client(hb) as c:
            assert c.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
            r = c.post("/v1/time-entries", json={"source": "harvest", "entries": ROWS})
            assert r.status_code == 201, r.text
            yield c
    finally:
        hb.close()


def test_entries_page_by_cursor_with_a_next_link(client: TestClient) -> None:
    first = client.get("/v1/entries", params={"limit": 2})
    page = first.json()
    assert [e["external_id"] for e in page["items"]] == ["W-0", "W-1"]
    assert page["has_more"] is True and page["next_cursor"] == str(page["items"][-1]["id"])
    link = first.headers["link"]
    assert link.endswith('>; rel="next"') and f"cursor={page['next_cursor']}" in link
    following = client.get(link[1:link.index(">")])
    assert [e["external_id"] for e in following.json()["items"]] == ["W-2", "W-3"]
    last = client.get("/v1/entries", params={"limit": 2,
                                             "cursor": following.json()["next_cursor"]})
    assert [e["external_id"] for e in last.json()["items"]] == ["W-4"]
    assert last.json()["has_more"] is False and last.json()["next_cursor"] is None
    assert "link" not in last.headers
    # the earlier path lists the same; `after` (the keyset before cursors) still pages
    assert client.get("/v1/time-entries").json() == client.get("/v1/entries").json()
    assert client.get("/v1/entries", params={"after": page["next_cursor"]}).json()[
        "items"][0]["external_id"] == "W-2"
    # updated_since: everything changed since an instant before the load, nothing after now
    assert len(client.get("/v1/entries", params={
        "updated_since": "2000-01-01T00:00:00Z"}).json()["items"]) == 5
    assert client.get("/v1/entries", params={
        "updated_since": "2999-01-01T00:00:00Z"}).json()["items"] == []


def test_entries_filters_and_one_entry_by_reference(client: TestClient) -> None:
    dated = client.get("/v1/entries", params={"from": "2026-08-12",
                                              "to": "2026-08-13", "customer": "ACME"})
    assert [e["external_id"] for e in dated.json()["items"]] == ["W-2", "W-3"]
    assert client.get("/v1/entries", params={"customer": "SELF"}).json()["items"] == []
    assert client.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    by_ref = client.get("/v1/entries/harvest:W-1")
    assert by_ref.status_code == 200, by_ref.text
    entry = by_ref.json()
    assert (entry["approval"], entry["approved_by"], entry["wip_open"]) == (
        "approved", actor(client), "300.00")  # 2 h senior at 150 before the rate change
    assert client.get(f"/v1/entries/{entry['id']}").json() == entry
    missing = client.get("/v1/entries/harvest:NOPE")
    assert missing.status_code == 404
    assert "harvest:NOPE" in missing.json()["detail"]

    assert client.post("/v1/billing-runs", json={"through": "2026-08-31"}).status_code == 201
    [draft] = client.get("/v1/invoices").json()["items"]
    on_draft = client.get("/v1/entries", params={"invoice": draft["id"]}).json()["items"]
    assert [e["external_id"] for e in on_draft] == [r["external_id"] for r in ROWS]
    assert {i["status"] for e in on_draft for i in e["invoices"]} == {"draft"}
    assert client.get("/v1/invoices", params={"payment": "unpaid"}).json()["items"] == []
    assert client.post("/v1/invoices/issue", json={"all": True}).status_code == 200
    [unpaid] = client.get("/v1/invoices", params={"payment": "unpaid"}).json()["items"]
    assert (unpaid["id"], unpaid["payment"]) == (draft["id"], "unpaid")
    assert client.get("/v1/invoices", params={"kind": "credit_note"}).json()["items"] == []


def test_exceptions_retry_answers_the_reason_found_now(client: TestClient) -> None:
    row = {"external_id": "N-1", "employee": "E3", "project": "P2", "task": "DEV",
           "date": "2026-08-10", "hours": "1"}
    assert client.post("/v1/time-entries", json={"source": "t", "entries": [row]}
                       ).json()["reasons"] == {"unknown_project": 1}
    [queued] = client.get("/v1/exceptions").json()["items"]
    p2 = {**small_firm_bundle()["projects"][0], "code": "P2", "name": "Phase 2"}
    assert client.post("/v1/master-data", json={"projects": [p2]}).status_code == 200
    retried = client.post("/v1/exceptions/retry", json={"ids": [queued["id"]]})
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["reasons"] == {"not_assigned": 1}  # P2 exists now; E3 is not on it
    assert body["reason_changed"] == {str(queued["id"]): {"was": "unknown_project",
                                                          "now": "not_assigned"}}
    [kept] = client.get("/v1/exceptions").json()["items"]
    assert kept["reason"] == "not_assigned"


def test_writes_take_source_external_id_wherever_an_entry_is_named(
        client: TestClient) -> None:
    approved = client.post("/v1/approvals", json={"actor": "pm",
                                                  "entry_ids": ["harvest:W-0", "harvest:W-1"]})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved"] == 2
    adjusted = client.post("/v1/adjustments", json={
        "entry_id": "harvest:W-1", "billable_seconds": 3600, "reason": "goodwill",
        "actor": "pm"})
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json()["after_seconds"] == 3600
    rejected = client.post("/v1/rejections", json={"entry_ids": ["harvest:W-0"],
                                                   "reason": "wrong task"})
    assert rejected.status_code == 200, rejected.text
    states = {e["external_id"]: (e["approval"], e["billable_seconds"])
              for e in client.get("/v1/entries").json()["items"]}
    assert states["W-0"][0] == "rejected" and states["W-1"] == ("approved", 3600)
    unknown = client.post("/v1/approvals", json={"actor": "pm",
                                                 "entry_ids": ["harvest:NOPE"]})
    assert unknown.status_code == 404 and "harvest:NOPE" in unknown.json()["detail"]


def test_a_hold_on_an_entry_by_its_reference(client: TestClient) -> None:
    placed = client.post("/v1/holds", json={"scope": "entry", "ref": "harvest:W-2",
                                            "reason": "dispute", "actor": "am"})
    assert placed.status_code == 201, placed.text
    [w2] = client.get("/v1/entries", params={"external_id": "W-2"}).json()["items"]
    assert placed.json()["ref"] == str(w2["id"])
    assert client.post("/v1/holds", json={"scope": "entry", "ref": "harvest:NOPE",
                                          "reason": "dispute", "actor": "am"}
                       ).status_code == 404
