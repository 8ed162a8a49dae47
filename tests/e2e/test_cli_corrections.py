"""The command line for voids and corrections: readable lines, --json, exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def firm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    bundle = small_firm_bundle()
    bundle["contracts"][0]["correction_policy"] = "next_invoice_adjustment"
    (tmp_path / "firm.yaml").write_text(yaml.safe_dump(bundle))
    assert runner.invoke(app, ["load", "firm.yaml"]).exit_code == 0
    (tmp_path / "week.csv").write_text("external_id,employee,project,task,date,hours,notes\n"
                                       "a1,E1,P1,DEV,2026-08-20,2,build\n"
                                       "a2,E2,P1,DEV,2026-08-21,1,test\n")
    assert runner.invoke(app, ["ingest", "--source", "harvest", "week.csv"]).exit_code == 0
    assert runner.invoke(app, ["approve", "--project", "P1"]).exit_code == 0
    assert runner.invoke(app, ["bill", "--through", "2026-08-31"]).exit_code == 0
    return tmp_path


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_void_a_draft_then_an_issued_invoice(firm: Path) -> None:
    [draft] = run_json("invoices", "list")
    result = runner.invoke(app, ["invoices", "void", str(draft["id"]),
                                 "--reason", "issued_in_error"])
    assert result.exit_code == 0 and f"draft {draft['id']} is void" in result.stdout
    assert run_json("bill", "--through", "2026-08-31")["invoices_created"] == 1
    [issued] = run_json("invoices", "issue", "--all")["issued"]
    voided = run_json("invoices", "void", str(issued["id"]), "--reason", "wrong_customer",
                      "--note", "meant for Acme AT")
    assert (voided["number"], voided["journal_key"]) == (
        "DE-000001", "invoice-voided:DE:DE-000001")
    again = runner.invoke(app, ["invoices", "void", str(issued["id"]), "--reason", "other"])
    assert again.exit_code == 2 and "invoice_already_void" in again.stderr
    shown = runner.invoke(app, ["invoices", "show", str(issued["id"])])
    assert "void since 2026" in shown.stdout and "wrong_customer: meant for Acme AT" in shown.stdout
    export = runner.invoke(app, ["export", "invoice", str(issued["id"]), "--format", "ubl"])
    assert export.exit_code == 2 and "invoice_void" in export.stderr
    assert runner.invoke(app, ["invoices", "check-sequence"]).exit_code == 0
    [check] = run_json("invoices", "check-sequence")
    assert (check["voids"], check["gapless"]) == (1, True)


def test_correction_listed_applied_and_billed_as_an_adjustment(firm: Path) -> None:
    run_json("invoices", "issue", "--all")
    (firm / "rev.csv").write_text("external_id,employee,project,task,date,hours,notes,revision\n"
                                  "a1,E1,P1,DEV,2026-08-20,1.5,build,2\n")
    [report] = run_json("ingest", "--source", "harvest", "rev.csv")
    assert report["corrections_proposed"] == 1
    listing = runner.invoke(app, ["corrections", "list"])
    assert listing.exit_code == 0 and "DE-000001" in listing.stdout and "-82.50" in listing.stdout
    [proposal] = run_json("corrections", "list")
    assert proposal["difference"] == "-82.50"
    missing = runner.invoke(app, ["corrections", "reject", str(proposal["id"]), "--note", " "])
    assert missing.exit_code == 2
    applied = runner.invoke(app, ["corrections", "apply", str(proposal["id"])])
    assert applied.exit_code == 0 and "next billing run" in applied.stdout
    closed = runner.invoke(app, ["corrections", "apply", str(proposal["id"])])
    assert closed.exit_code == 2 and "correction_closed" in closed.stderr
    bill = run_json("bill", "--through", "2026-08-31")
    assert [i["net"] for i in bill["invoices"]] == ["-82.50"]
    run_json("invoices", "issue", "--all")
    assert runner.invoke(app, ["worker", "--once"]).exit_code == 0
    balances = {r["account"]: Decimal(r["balance"]) for r in run_json("ledger",
                                                                       "trial-balance")}
    assert sum(balances.values()) == 0 and balances["1210"] == 0
