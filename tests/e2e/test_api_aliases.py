"""``GET/POST /v1/aliases``: a source's tracker ids as codes, listed in the list envelope; an
added alias takes again the rows that waited for that id (the CLI's use case); a code that
does not exist is a 422 problem; reading and writing need the master-data scopes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

SOURCE = "acme-harvest"
KNOWN = [{"source": SOURCE, "kind": "project", "external_id": "99", "code": "P1"},
         {"source": SOURCE, "kind": "task", "external_id": "5", "code": "DEV"}]


def page(user: int) -> dict[str, Any]:
    return {"time_entries": [{
        "id": 1, "spent_date": "2026-07-01", "hours": 2.5, "notes": "n", "user": {"id": user,
                                                                                 "name": "E2"},
        "project": {"id": 99}, "task": {"id": 5}, "billable": True, "is_running": False,
        "updated_at": "2026-07-10T10:00:00Z"}], "links": {"next": None}}


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, Hourbridge]]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb, raise_server_exceptions=False) as client:
        bundle = {**small_firm_bundle(), "aliases": KNOWN}
        assert client.post("/v1/master-data", json=bundle).status_code == 200
        yield client, hb
    hb.close()


def test_an_added_alias_takes_the_waiting_rows_and_is_listed(
        app: tuple[TestClient, Hourbridge]) -> None:
    client, _ = app
    r = client.post(f"/v1/sources/{SOURCE}/time-entries", params={"format": "harvest"},
                    json=page(18))
    assert r.json()["rejected"] == 1  # user 18 has no alias: it waits
    added = client.post("/v1/aliases", json={"source": SOURCE, "kind": "user",
                                             "external_id": "18", "code": "E2"})
    assert added.status_code == 201, added.text
    assert (added.json()["waiting"], added.json()["resolved"], added.json()["was"]) == (
        1, 1, None)
    entries = client.get("/v1/time-entries").json()["items"]
    assert [(e["external_id"], e["employee"]) for e in entries] == [("1", "E2")]

    listed = client.get("/v1/aliases", params={"source": SOURCE}).json()
    assert set(listed) == {"items", "has_more", "next_cursor"} and not listed["has_more"]
    assert [(a["kind"], a["external_id"], a["code"]) for a in listed["items"]] == [
        ("project", "99", "P1"), ("task", "5", "DEV"), ("user", "18", "E2")]
    assert client.get("/v1/aliases", params={"source": "other"}).json()["items"] == []


def test_bad_input_is_a_problem(app: tuple[TestClient, Hourbridge]) -> None:
    client, _ = app
    r = client.post("/v1/aliases", json={"source": SOURCE, "kind": "user",
                                         "external_id": "18", "code": "E9"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "E9" in r.json()["detail"]
    r = client.post("/v1/aliases", json={"source": SOURCE, "kind": "team",
                                         "external_id": "1", "code": "E1"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_scopes(app: tuple[TestClient, Hourbridge]) -> None:
    _, hb = app
    body = {"source": SOURCE, "kind": "user", "external_id": "18", "code": "E2"}
    with api_client(hb, "approver") as reader:  # masterdata:read only
        assert reader.get("/v1/aliases").status_code == 200
        refused = reader.post("/v1/aliases", json=body)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
