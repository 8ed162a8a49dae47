"""``hourbridge trace`` and ``GET /v1/trace/{kind}/{id}``: the same lineage, text and JSON; an
unknown id is a plain 404 / exit 2; a page of an invoice's entries follows ``next_after``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

runner = CliRunner()

WEEK = ("external_id,employee,project,task,date,hours,notes\n"
        "A1,E1,P1,DEV,2026-08-10,2,design\n"
        "A2,E2,P1,DEV,2026-08-11,1.5,build\n"
        "A3,E9,P1,DEV,2026-08-12,1,unknown person\n")


def run(*args: str, exit_code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/trace.db")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    (tmp_path / "week.csv").write_text(WEEK)
    run("load", "firm.yaml")
    run("ingest", "--source", "harvest", "week.csv", exit_code=1)  # A3 is an exception
    run("approve", "--id", "harvest:A1", "--actor", "pm")
    return tmp_path


def test_cli_trace_text_and_json(db: Path) -> None:
    out = run("trace", "entry", "harvest:A2").stdout
    assert "not billed: not_approved" in out and "no ERP postings yet" in out
    run("bill", "--through", "2026-08-31")
    tr = json.loads(run("trace", "entry", "harvest:A1", "--json").stdout)
    assert tr["billed"] is False and tr["why_not_billed"][0]["reason"] == "on_draft"
    (line,) = tr["priced_lines"]
    assert line["why"]["rate_row"]
    invoice = json.loads(run("trace", "invoice", str(line["invoice"]), "--json").stdout)
    assert [e["external_id"] for e in invoice["entries"]["items"]] == ["A1"]
    never = run("trace", "entry", "harvest:A3").stdout
    assert "not billed: unknown_employee" in never
    err = run("trace", "entry", "harvest:NOPE", exit_code=2)
    assert "harvest:NOPE" in err.output
    assert run("trace", "payment", "1", exit_code=2).exit_code == 2


def test_api_trace_matches_the_cli(db: Path) -> None:
    cli = json.loads(run("trace", "entry", "harvest:A1", "--json").stdout)
    hb = bootstrap(Settings(database_url=f"sqlite:///{db}/trace.db"))
    with api_client(hb) as client:
        r = client.get("/v1/trace/entry/harvest:A1")
        assert r.status_code == 200, r.text
        assert r.json()["timeline"] == cli["timeline"]
        assert r.json()["why_not_billed"] == cli["why_not_billed"]
        by_id = client.get(f"/v1/trace/entry/{cli['id']}").json()
        assert by_id["ref"] == "harvest:A1"
        missing = client.get("/v1/trace/invoice/424242")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert client.get("/v1/trace/payment/1").status_code == 422
        assert client.get("/v1/trace/entry/99999999999999999999999").status_code == 422


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        yield client


def test_api_pages_an_invoice_backward(api: TestClient) -> None:
    entries = [{"external_id": f"b{i}", "employee": "E1", "project": "P1", "task": "DEV",
                "date": f"2026-08-{i + 1:02d}", "hours": "1"} for i in range(5)]
    assert api.post("/v1/time-entries",
                    json={"source": "t", "entries": entries}).status_code == 201
    assert api.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    assert api.post("/v1/billing-runs", json={"through": "2026-08-31"}).status_code in (200, 201)
    (invoice,) = api.get("/v1/invoices").json()["items"]
    seen: list[str] = []
    after: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"after": after} if after else {})
        page = api.get(f"/v1/trace/invoice/{invoice['id']}", params=params).json()["entries"]
        seen += [e["external_id"] for e in page["items"]]
        assert page["total"] == 5
        after = page["next_after"]
        if after is None:
            break
    assert seen == [f"b{i}" for i in range(5)]
