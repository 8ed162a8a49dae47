"""``hourbridge expenses`` end to end: ingest, list, approve, readable errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    bundle = tmp_path / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    assert runner.invoke(app, ["load", str(bundle)]).exit_code == 0
    return tmp_path


def run_json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_list_approve(db: Path) -> None:
    csv_file = db / "expenses.csv"
    csv_file.write_text("external_id,employee,project,date,amount,currency,category,billable\n"
                        "X1,E1,P1,2026-08-10,120.50,EUR,travel,true\n"
                        "X2,E2,P1,2026-08-11,89,EUR,hotel,false\n"
                        "X3,E1,P1,2026-08-11,-4,EUR,meals,true\n")
    json_file = db / "more.json"
    json_file.write_text(json.dumps({"expenses": [
        {"external_id": "J1", "employee": "E1", "project": "INT", "date": "2026-08-12",
         "amount": "30", "currency": "USD", "category": "software"}]}))
    reports = run_json("expenses", "ingest", "--source", "expensify", str(csv_file),
                       str(json_file))
    assert [(r["rows"], r["accepted"], r["rejected"]) for r in reports] == [(3, 2, 1),
                                                                              (1, 1, 0)]
    assert reports[0]["reasons"] == {"invalid_amount": 1}
    again = run_json("expenses", "ingest", "--source", "expensify", str(csv_file))
    assert again[0]["duplicate_payload"]

    exceptions = run_json("exceptions", "list", "--reason", "invalid_amount")
    assert exceptions["items"][0]["location"] == "expenses.csv:4"
    assert exceptions["items"][0]["field"] == "amount"

    listed = run_json("expenses", "list", "--project", "P1")
    assert [(e["external_id"], e["amount"], e["billing"]) for e in listed] == [
        ("X1", "120.50", "unbilled"), ("X2", "89.00", "non_billable")]

    approved = run_json("expenses", "approve", "--project", "P1", "--to", "2026-08-31")
    assert (approved["approved"], approved["billable"]) == (2, 1)
    assert approved["billable_amount"] == {"EUR": "120.50"}
    assert {e["approval"] for e in run_json("expenses", "list", "--project", "P1")} == {
        "approved"}

    table = runner.invoke(app, ["expenses", "list"])
    assert table.exit_code == 0 and "120.50" in table.stdout and "J1" in table.stdout
    people = runner.invoke(app, ["expenses", "ingest", "--source", "expensify",
                                 str(csv_file)])
    assert people.exit_code == 0 and "same payload already taken" in people.stdout


def test_readable_errors(db: Path) -> None:
    missing = runner.invoke(app, ["expenses", "ingest", "--source", "x",
                                  str(db / "missing.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    nothing = runner.invoke(app, ["expenses", "approve"])
    assert nothing.exit_code == 2 and "say what to approve" in nothing.stderr
    bad_date = runner.invoke(app, ["expenses", "approve", "--from", "last week"])
    assert bad_date.exit_code == 2 and "--from" in bad_date.stderr


def test_a_foreign_currency_expense_shows_its_original_amount_and_rate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    firm = small_firm_bundle()
    firm["contracts"][0]["expenses"] = {"billing": "markup", "markup_percent": "10"}
    firm["fx_rates"] = [{"from_currency": "USD", "to_currency": "EUR",
                         "valid_from": "2026-07-01", "rate": "0.9215"}]
    (tmp_path / "firm.yaml").write_text(yaml.safe_dump(firm))
    assert runner.invoke(app, ["load", str(tmp_path / "firm.yaml")]).exit_code == 0
    (tmp_path / "x.csv").write_text("external_id,employee,project,date,amount,currency,"
                                    "category\nU1,E1,P1,2026-08-10,45.00,USD,hotel\n")
    [taken] = run_json("expenses", "ingest", "--source", "expensify", str(tmp_path / "x.csv"))
    assert taken["accepted"] == 1
    run_json("expenses", "approve", "--project", "P1")
    [invoice] = run_json("bill", "--through", "2026-08-31")["invoices"]
    shown = run_json("invoices", "show", str(invoice["id"]))
    [line] = shown["lines"]
    # 45.00 x 0.9215 x 1.10 = 45.614... -> 45.61 EUR
    assert (line["amount"], line["original_amount"], line["original_currency"],
            line["original_rate"]) == ("45.61", "45.00", "USD", "0.9215")
    table = runner.invoke(app, ["invoices", "show", str(invoice["id"])], terminal_width=250)
    assert table.exit_code == 0 and "45.00 USD at 0.9215" in table.stdout
