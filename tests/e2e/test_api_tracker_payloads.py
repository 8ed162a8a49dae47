"""``POST /v1/sources/{source}/time-entries?format=...``: a tracker's own body through the
inbox; and a kept tracker payload that a crash left unprocessed is read back as that
tracker's (``recover_intake``), not as canonical rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import Hourbridge, bootstrap
from hourbridge.config import Settings
from hourbridge.store.entries import SqlEntries
from support.api import api_client
from support.firm import small_firm_bundle

ALIASES = [{"source": "acme-harvest", "kind": "user", "external_id": "17", "code": "E1"},
           {"source": "acme-harvest", "kind": "project", "external_id": "99", "code": "P1"},
           {"source": "acme-harvest", "kind": "task", "external_id": "5", "code": "DEV"}]


def page(*ids: int) -> dict[str, Any]:
    return {"time_entries": [
        {"id": i, "spent_date": "2026-07-0" + str(1 + n), "hours": 2.5, "notes": f"n{i}",
         "user": {"id": 17}, "project": {"id": 99}, "task": {"id": 5}, "billable": True,
         "is_running": False, "updated_at": "2026-07-10T10:00:00Z"}
        for n, i in enumerate(ids)], "links": {"next": None}, "page": 1}


@pytest.fixture
def app(database_url: str) -> Iterator[tuple[TestClient, Hourbridge]]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb, raise_server_exceptions=False) as client:
        bundle = {**small_firm_bundle(), "aliases": ALIASES}
        assert client.post("/v1/master-data", json=bundle).status_code == 200
        yield client, hb
    hb.close()


def test_a_harvest_page_is_taken_and_a_resend_adds_nothing(app: tuple[TestClient, Hourbridge]
                                                            ) -> None:
    client, _ = app
    r = client.post("/v1/sources/acme-harvest/time-entries", params={"format": "harvest"},
                    json=page(1, 2))
    assert r.status_code == 201, r.text
    assert (r.json()["rows"], r.json()["accepted"]) == (2, 2)
    entries = client.get("/v1/time-entries").json()["items"]
    assert {(e["external_id"], e["employee"], e["project"], e["task"]) for e in entries} == {
        ("1", "E1", "P1", "DEV"), ("2", "E1", "P1", "DEV")}
    again = client.post("/v1/sources/acme-harvest/time-entries", params={"format": "harvest"},
                        json=page(1, 2))
    assert again.status_code == 200 and again.json()["duplicate_payload"]


def test_unknown_format_and_non_json_bodies_are_refused(app: tuple[TestClient, Hourbridge]
                                                        ) -> None:
    client, _ = app
    r = client.post("/v1/sources/x/time-entries", params={"format": "excel"}, json=[])
    assert r.status_code == 422
    r = client.post("/v1/sources/x/time-entries", params={"format": "toggl"},
                    content=b"a,b", headers={"content-type": "text/csv"})
    assert r.status_code == 415


def test_a_crash_leaves_the_tracker_payload_kept_and_recovery_reads_it_as_harvest(
        app: tuple[TestClient, Hourbridge], monkeypatch: pytest.MonkeyPatch) -> None:
    client, hb = app
    real_insert = SqlEntries.move_staged

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(SqlEntries, "move_staged", crash)
    failed = client.post("/v1/sources/acme-harvest/time-entries",
                         params={"format": "harvest"}, json=page(7, 8, 9))
    assert failed.status_code == 500
    assert client.get("/v1/time-entries").json()["items"] == []
    monkeypatch.setattr(SqlEntries, "move_staged", real_insert)
    [report] = hb.recover_intake()
    assert (report["source"], report["rows"], report["accepted"], report["rejected"]) == (
        "acme-harvest", 3, 3, 0)
    assert sorted(e["external_id"] for e in client.get("/v1/time-entries").json()["items"]) == [
        "7", "8", "9"]
