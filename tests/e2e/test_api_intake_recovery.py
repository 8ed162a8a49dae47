"""An intake request that failed half-way (a 500) is processed by its retry, not answered as a
duplicate: the payload was kept, its rows were not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.store.entries import SqlEntries
from support.api import api_client

ROWS = [{"external_id": f"X{i}", "employee": "E1", "project": "P1", "task": "DEV",
         "date": f"2026-08-{10 + i:02d}", "hours": "2", "notes": f"work {i}"}
        for i in range(5)]


@pytest.fixture
def client(database_url: str, small_bundle: dict[str, Any]) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb, raise_server_exceptions=False) as c:
        assert c.post("/v1/master-data", json=small_bundle).status_code == 200
        yield c
    hb.close()


def test_a_retry_after_a_500_stores_the_rows(client: TestClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real_insert = SqlEntries.move_staged

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(SqlEntries, "move_staged", crash)
    body = {"source": "tracker", "entries": ROWS}
    failed = client.post("/v1/time-entries", json=body)
    assert failed.status_code == 500
    assert failed.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/time-entries").json()["items"] == []

    monkeypatch.setattr(SqlEntries, "move_staged", real_insert)
    retried = client.post("/v1/time-entries", json=body)
    assert retried.status_code == 201, retried.text
    report = retried.json()
    assert (report["duplicate_payload"], report["accepted"]) == (False, 5)
    assert len(client.get("/v1/time-entries").json()["items"]) == 5

    again = client.post("/v1/time-entries", json=body).json()
    assert (again["duplicate_payload"], again["accepted"]) == (True, 0)
