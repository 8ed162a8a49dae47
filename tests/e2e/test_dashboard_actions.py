"""Dashboard actions through the test client (the browser test covers the pages): a refused
action redirects with its reason and changes nothing; fixing an alias saves it and retries;
a bad KPI period says why and shows the default one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle


def _aliases(tmp_path: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(tmp_path / "hb.db") as conn:
        return conn.execute("SELECT source, kind, external_id, code FROM id_aliases").fetchall()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=f"sqlite:///{tmp_path}/hb.db"))
    with api_client(hb) as c:
        assert c.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        rows = [{"external_id": "r1", "employee": "E1", "project": "P1", "task": "DEV",
                 "work_date": "2026-09-01", "hours": "1"},
                {"external_id": "r2", "employee": "E1", "project": "NOPE", "task": "DEV",
                 "work_date": "2026-09-02", "hours": "2"}]
        assert c.post("/v1/time-entries", json={"source": "t", "time_entries": rows}
                      ).status_code == 201
        yield c


def _flash(response: object) -> dict[str, str]:
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert response.status_code == 303 and location.startswith("/dashboard/")  # type: ignore[attr-defined]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_refused_actions_change_nothing_and_say_why(client: TestClient,
                                                         tmp_path: Path) -> None:
    [x] = client.get("/v1/exceptions").json()["items"]
    # an alias to a code that does not exist: refused, nothing saved, still open
    said = _flash(client.post(f"/dashboard/exceptions/{x['id']}/alias", data={
        "kind": "project", "external_id": "NOPE", "code": "NO-SUCH"}, follow_redirects=False))
    assert "unknown code 'NO-SUCH'" in said["error"]
    assert _aliases(tmp_path) == []
    assert client.get("/v1/exceptions").json()["items"][0]["status"] == "open"
    assert _flash(client.post(f"/dashboard/exceptions/{x['id']}/alias", data={
        "kind": "planet", "external_id": "NOPE", "code": "P1"}, follow_redirects=False)
    )["error"].startswith("refused (invalid_input): alias refused")
    # a good alias is saved and the row retried (canonical rows do not map through aliases:
    # it says so, still refused)
    said = _flash(client.post(f"/dashboard/exceptions/{x['id']}/alias", data={
        "kind": "project", "external_id": "NOPE", "code": "P1"}, follow_redirects=False))
    assert "alias t/project/NOPE -> P1 saved" in said["message"]
    assert _aliases(tmp_path) == [("t", "project", "NOPE", "P1")]
    # retry and dismiss of what is not open are refused
    _flash(client.post(f"/dashboard/exceptions/{x['id']}/dismiss", data={"note": "gone"},
                       follow_redirects=False))
    for path in (f"/dashboard/exceptions/{x['id']}/retry",
                 f"/dashboard/exceptions/{x['id']}/dismiss", "/dashboard/dead-letters/99/replay"):
        said = _flash(client.post(path, data={"note": "again"}, follow_redirects=False))
        assert "not found" in said["error"], path
    page = client.get("/dashboard/exceptions", params={"error": "refused (x): shown"})
    assert 'role="alert">refused (x): shown<' in page.text

    # a bad KPI period says why and shows the default one
    page = client.get("/dashboard", params={"period": "9999"})
    assert page.status_code == 200 and "years 1900 to 2999" in page.text
    assert 'data-kpi="period.label">all<' in page.text
    page = client.get("/dashboard", params={"period": "2026-09"})
    assert 'data-kpi="period.label">2026-09<' in page.text
    assert client.get("/dashboard/alerts").status_code == 200
    assert client.get("/dashboard/static/dashboard.css").headers["content-type"].startswith(
        "text/css")
