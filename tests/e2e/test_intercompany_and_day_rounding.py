"""Per-day rounding and intercompany charges through the command line and the REST API."""

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
from support.firm import small_firm_bundle, two_entity_bundle

runner = CliRunner()
TIMES = ("external_id,employee,project,task,date,minutes,notes\n"
         "d1,E1,P1,DEV,2026-08-10,10,a\n"
         "d2,E1,P1,DEV,2026-08-10,10,b\n"
         "d3,E1,P1,DEV,2026-08-10,10,c\n"
         "x1,X1,P1,DEV,2026-08-10,120,AT analyst\n"
         "y1,Y1,P1,DEV,2026-08-11,90,US analyst\n")


def firm() -> dict[str, Any]:
    bundle = two_entity_bundle(small_firm_bundle())
    bundle["contracts"][0]["versions"][0]["rounding"] = {
        "increment_minutes": 15, "mode": "up", "per": "day"}
    return bundle


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_day_rounding_and_intercompany_list(db: Path) -> None:
    (db / "firm.yaml").write_text(yaml.safe_dump(firm()))
    assert runner.invoke(app, ["load", "firm.yaml"]).exit_code == 0
    (db / "week.csv").write_text(TIMES)
    [ingested] = run_json("ingest", "--source", "harvest", "week.csv")
    assert ingested["accepted"] == 5 and ingested["days_rerounded"] == 3
    approved = run_json("approve", "--project", "P1")
    assert approved["intercompany"]["charges"] == 2
    bill = run_json("bill", "--through", "2026-08-31")
    # 30 minutes of E1's day at 150, 2 h + 1.5 h of analysts at 90 (each day of theirs rounded)
    assert bill["invoices"][0]["net"] == "390.00"  # 75 + 180 + 135

    listed = run_json("intercompany", "list")
    assert [(t["seller"], t["buyer"], t["currency"], t["status"], t["amount"])
            for t in listed["totals"]] == [("AT", "DE", "EUR", "booked", "132.00"),
                                           ("US", "DE", "USD", "awaiting_fx", "105.00")]
    assert run_json("intercompany", "list", "--period", "2026-09")["totals"] == []
    table = runner.invoke(app, ["intercompany", "list", "--period", "2026-08"])
    assert table.exit_code == 0 and "awaiting_fx" in table.stdout and "132.00" in table.stdout
    bad = runner.invoke(app, ["intercompany", "list", "--period", "August"])
    assert bad.exit_code == 2 and "period 'August' is not YYYY-MM" in bad.stderr
    help_text = runner.invoke(app, ["intercompany", "list", "--help"])
    assert help_text.exit_code == 0 and "--period" in help_text.stdout


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=firm()).status_code == 200
        yield client


def test_api_day_rounding_and_intercompany_charges(api: TestClient) -> None:
    rows = [dict(zip(("external_id", "employee", "project", "task", "date", "minutes",
                      "notes"), line.split(","), strict=True))
            for line in TIMES.strip().splitlines()[1:]]
    intake = api.post("/v1/time-entries", json={"source": "t", "entries": rows})
    assert intake.status_code == 201, intake.text
    assert intake.json()["days_rerounded"] == 3
    entries = {e["external_id"]: e for e in api.get("/v1/time-entries").json()["items"]}
    assert sum(entries[k]["billable_seconds"] for k in ("d1", "d2", "d3")) == 1800
    [contract] = api.get("/v1/contracts").json()["items"]
    assert contract["versions"][0]["rounding"]["per"] == "day"

    approved = api.post("/v1/approvals", json={"actor": "pm", "project": "P1"})
    assert approved.status_code == 200 and approved.json()["approved"] == 5
    report = api.get("/v1/intercompany-charges", params={"period": "2026-08"})
    assert report.status_code == 200
    body = report.json()
    assert {(t["seller"], t["status"]) for t in body["totals"]} == {
        ("AT", "booked"), ("US", "awaiting_fx")}
    charge = next(ch for ch in body["charges"] if ch["seller"] == "AT")
    assert (charge["transfer_price"], charge["amount"], charge["buyer_journal_key"][:21]) == (
        "66", "132.00", "intercompany-purchase")
    paged = api.get("/v1/intercompany-charges", params={"limit": 1, "offset": 1}).json()
    assert len(paged["charges"]) == 1 and len(paged["totals"]) == 2
    bad = api.get("/v1/intercompany-charges", params={"period": "2026-8"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "period"
