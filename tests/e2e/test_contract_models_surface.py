"""Contract models, revenue and rejection over HTTP and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from support.api import api_client
from support.firm import small_firm_bundle

runner = CliRunner()


def _bundle() -> dict[str, Any]:
    bundle = small_firm_bundle()
    k = bundle["contracts"][0]
    k["milestones"] = [{"id": "M1", "name": "Design accepted", "amount": "5000.00"}]
    k["fee_schedule"] = [{"id": "F1", "bill_on": "2026-08-01", "amount": "1000.00"}]
    k["estimate_hours"] = "10"
    return bundle


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=_bundle()).status_code == 200
        entries = [{"external_id": "a1", "employee": "E1", "project": "P1", "task": "DEV",
                    "date": "2026-08-10", "hours": "2"},
                   {"external_id": "a2", "employee": "E2", "project": "P1", "task": "DEV",
                    "date": "2026-08-11", "hours": "1"}]
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": entries}).status_code == 201
        yield client


def test_milestone_revenue_and_rejection_over_http(api: TestClient) -> None:
    r = api.post("/v1/contracts/K1/milestones/M1/achievement",
                 json={"achieved_on": "2026-08-20", "actor": "psa"})
    assert r.status_code == 200 and r.json()["recorded"] is True
    missing = api.post("/v1/contracts/K1/milestones/M9/achievement",
                       json={"achieved_on": "2026-08-20"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    clash = api.post("/v1/contracts/K1/milestones/M1/achievement",
                     json={"achieved_on": "2026-08-21"})
    assert clash.status_code == 409
    ids = [e["id"] for e in api.get("/v1/time-entries").json()["items"]]
    assert api.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    rejected = api.post("/v1/rejections", json={"entry_ids": ids[1:], "reason": "wrong task",
                                                "actor": "pm"}).json()
    assert (rejected["rejected"], rejected["unapproved"]) == (1, 1)
    assert len(rejected["journal_keys"]) == 1  # its booked value is reversed
    run = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()
    assert run["totals"] == {"EUR": "7497.00"}  # 2 h at 150 + fee + milestone, 19 % VAT
    status = api.get("/v1/contracts/K1").json()
    assert [(m["id"], m["state"]) for m in status["milestones"]] == [("M1", "billed")]
    revenue = api.post("/v1/revenue-runs", json={"period": "2026-08", "dry_run": True}).json()
    fee = next(r for r in revenue["contracts"] if r["component"] == "fixed_fee")
    assert fee["recognised_to_date"] == "200.00"  # 2 of 10 estimated hours
    assert api.post("/v1/revenue-runs", json={"period": "2026-8"}).status_code == 422
    # a dry run books nothing
    assert api.get("/v1/contracts/K1/revenue-schedule").json()["items"] == []


def test_contract_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps(_bundle()))
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["load", "b.json"]).exit_code == 0
    done = runner.invoke(app, ["contracts", "achieve", "K1", "M1", "--achieved-on",
                               "2026-08-20"])
    assert done.exit_code == 0 and "recorded as achieved on 2026-08-20" in done.stdout
    # the old name still works for one version, with one warning line
    bad = runner.invoke(app, ["contracts", "achieve", "K1", "M1", "--on", "20.8.2026"])
    assert bad.exit_code == 2
    assert "--on is deprecated" in bad.stderr and "--achieved-on: '20.8.2026'" in bad.stderr
    shown = runner.invoke(app, ["contracts", "show", "K1", "--json"])
    assert json.loads(shown.stdout)["milestones"][0]["achieved_on"] == "2026-08-20"
    assert runner.invoke(app, ["bill", "--through", "2026-08-31"]).exit_code == 0
    revenue = runner.invoke(app, ["revenue", "run", "--period", "2026-08", "--json"])
    assert revenue.exit_code == 0, revenue.output
    totals = json.loads(revenue.stdout)["totals"]["EUR"]
    assert totals["recognised_this_run"] == "5000.00"  # the milestone; no hours yet
    table = runner.invoke(app, ["revenue", "schedule", "K1"])
    assert table.exit_code == 0 and "milestones" in table.stdout
    for command in (["contracts", "--help"], ["revenue", "run", "--help"], ["reject", "--help"]):
        assert runner.invoke(app, command).exit_code == 0
