"""The command line end to end: the demo, billing twice, bad input, --help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def run_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_runs_end_to_end_and_again(db: Path) -> None:
    first = run_json("demo")
    assert first["intake"]["rows"] > 5000
    assert first["intake"]["duplicate_payloads"] == 1
    reasons = set(first["exceptions_by_reason"])
    assert {"unknown_project", "project_not_active", "unknown_employee", "not_assigned",
            "outside_contract_dates", "no_rate", "invalid_quantity", "duplicate_entry",
            "locked_period"} <= reasons
    # the GmbH bills a Swiss client in CHF: multi-currency in the demo
    assert {r["currency"] for r in first["invoices"]} == {"EUR", "USD", "CHF"}
    assert first["billing"]["invoices_created"] == first["billing"]["invoices_issued"] > 0
    assert all(Decimal(v) == 0 for v in first["trial_balance_sum"].values())
    assert first["functional_trial_balance_sum"] == {"DE/EUR": "0.00", "US/USD": "0.00"}
    assert first["unbilled_approved_wip"], "the last approved month is still WIP"
    assert first["outbox"] == {"done": first["delivery_this_run"]["delivered"]}
    [cross] = first["intercompany"]  # a US senior on a DE engagement, USD vs EUR
    assert (cross["seller"], cross["buyer"], cross["status"]) == ("US", "DE", "booked")
    assert first["day_rounding"]["contracts"] == 1 and first["day_rounding"]["days"] > 0

    again = run_json("demo")
    assert again["intake"]["accepted"] == 0
    assert again["billing"]["invoices_created"] == 0
    assert again["invoices"] == first["invoices"]

    reset = run_json("demo", "--reset")
    assert reset["invoices"] == first["invoices"]
    assert reset["trial_balance"] == first["trial_balance"]


@pytest.mark.postgres
def test_demo_on_postgresql_matches_sqlite(tmp_path: Path, postgres_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    figures = []
    for url in (f"sqlite:///{tmp_path}/demo.db", postgres_url):
        monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", url)
        s = run_json("demo")
        figures.append((s["invoices"], s["trial_balance"], s["exceptions_by_reason"],
                        s["unbilled_approved_wip"], s["entries"]))
    assert figures[0] == figures[1]


def test_bill_twice_creates_no_second_invoice(db: Path) -> None:
    bundle = db / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    assert run("load", str(bundle)).exit_code == 0
    times = db / "week.csv"
    times.write_text("external_id,employee,project,task,date,hours,notes\n"
                     "a1,E1,P1,DEV,2026-08-10,1.5,design\n"
                     "a2,E2,P1,DEV,2026-08-11,2,build\n"
                     "a3,E2,NOPE,DEV,2026-08-11,2,build\n")
    ingested = run_json("ingest", "--source", "harvest", str(times))
    assert ingested[0]["accepted"] == 2 and ingested[0]["rejected"] == 1
    exceptions = run_json("exceptions", "list")
    assert exceptions["by_reason"] == {"unknown_project": 1}
    assert exceptions["items"][0]["location"] == "week.csv:4"
    approved = run_json("approve", "--project", "P1", "--to", "2026-08-31")
    assert approved["approved"] == 2
    dry = run_json("bill", "--through", "2026-08-31", "--dry-run")
    assert dry["invoices_created"] == 0 and len(dry["invoices"]) == 1
    first = run_json("bill", "--through", "2026-08-31")
    second = run_json("bill", "--through", "2026-08-31")
    assert first["invoices_created"] == 1 and second["invoices_created"] == 0
    assert second["entries_billed"] == 0
    assert second["changes_since_last_run"] == []  # the waiting draft is unchanged
    assert [(n["contract"], n["reason"]) for n in second["not_invoiced"]] == [
        ("K1", "nothing_open")]
    assert first["invoices"][0]["lines"] == 2 and first["invoices"][0]["line_kinds"] == {
        "time": 2}
    issued = run_json("invoices", "issue", "--all")
    assert issued["issued"][0]["number"] == "DE-000001"
    assert run("worker", "--once").exit_code == 0
    tb = run_json("ledger", "trial-balance")
    assert sum(Decimal(r["balance"]) for r in tb) == 0
    shown = run_json("invoices", "show", str(issued["issued"][0]["id"]))
    assert sum(len(ln["entries"]) for ln in shown["lines"]) == 2


def test_a_run_that_makes_nothing_says_why_per_contract(db: Path) -> None:
    firm = small_firm_bundle()
    firm["customers"].append({"id": "FR1", "name": "Client SARL", "entity": "DE",
                              "currency": "EUR", "country": "FR"})  # no VAT id
    firm["contracts"].append({
        "id": "K2", "customer": "FR1", "entity": "DE", "currency": "EUR",
        "start_date": "2026-07-01", "versions": [{"version": 1, "effective_from": "2026-07-01"}],
        "fee_schedule": [{"id": "F1", "bill_on": "2026-08-01", "amount": "1000.00"}]})
    bundle = db / "firm.yaml"
    bundle.write_text(yaml.safe_dump(firm))
    assert run("load", str(bundle)).exit_code == 0
    text = run("bill", "--through", "2026-08-31")
    assert text.exit_code == 0, text.output
    assert "made 0 invoice(s)" in text.output
    assert "no invoice for K2: missing_vat_id customer FR1" in " ".join(text.output.split())
    assert "no invoice for K1: nothing_open" in " ".join(text.output.split())
    as_json = run_json("bill", "--through", "2026-08-31", "--dry-run")
    assert {n["contract"]: n["reason"] for n in as_json["not_invoiced"]} == {
        "K1": "nothing_open", "K2": "missing_vat_id"}


def test_bad_bundle_names_file_path_and_reason_and_loads_nothing(db: Path) -> None:
    good = db / "good.yaml"
    good.write_text(yaml.safe_dump(small_firm_bundle()))
    bad = db / "bad.yaml"
    bad.write_text("projects:\n  - code: P9\n    name: x\n    customer: GHOST\n    entity: DE\n"
                   "customers:\n  - id: C9\n    name: y\n    entity: DE\n    currency: EURO\n"
                   "    country: DE\n")
    result = run("load", str(good), str(bad))
    assert result.exit_code == 2
    assert "bad.yaml: customers[0].currency" in result.stderr
    assert run_json("invoices", "list") == []
    fixed = db / "bad.yaml"
    fixed.write_text("projects:\n  - code: P9\n    name: x\n    customer: GHOST\n    entity: DE\n")
    result = run("load", str(good), str(fixed))
    assert result.exit_code == 2
    assert "bad.yaml: projects[0].customer" in result.stderr and "GHOST" in result.stderr
    assert run_json("invoices", "list") == []
    from hourbridge.bootstrap import bootstrap

    hb = bootstrap()
    try:
        assert hb.queries.masterdata("entities") == []  # all or nothing
    finally:
        hb.close()


def test_unreadable_input_is_a_readable_error(db: Path) -> None:
    result = run("ingest", "--source", "x", str(db / "missing.csv"))
    assert result.exit_code == 2 and "cannot read" in result.stderr
    result = run("bill", "--through", "yesterday")
    assert result.exit_code == 2 and "--through" in result.stderr


def test_schema_export_is_json_schema(db: Path) -> None:
    out = db / "bundle.schema.json"
    assert run("schema", "export", "--out", str(out)).exit_code == 0
    schema = json.loads(out.read_text())
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"entities", "projects", "rate_cards"} <= set(schema["properties"])


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, sub in getattr(group, "commands", {}).items():
        found += _commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("path", _commands(get_command(app)), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "hourbridge"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "demo" in out.stdout and "bill" in out.stdout


assert isinstance(app, typer.Typer)


def test_fx_refusals_name_the_field_and_rates_make_the_contract_load(db: Path) -> None:
    firm = small_firm_bundle()
    firm["customers"][0].update(currency="CHF", country="CH", vat_id=None)
    firm["contracts"][0].update(currency="CHF", fx_rate_date="fixed")
    firm["rate_cards"][0]["currency"] = "CHF"
    path = db / "chf.yaml"
    path.write_text(yaml.safe_dump(firm))
    result = run("load", str(path))
    assert result.exit_code == 2
    assert "chf.yaml: contracts[0].fx_fixed_rate" in result.stderr
    assert "no fx_fixed_rate" in result.stderr
    firm["contracts"][0]["fx_rate_date"] = "work_date"
    path.write_text(yaml.safe_dump(firm))
    result = run("load", str(path))
    assert result.exit_code == 2
    assert "chf.yaml: contracts[0].currency" in result.stderr and "no_fx_rate" in result.stderr
    firm["fx_rates"] = [{"from_currency": "CHF", "to_currency": "EUR",
                         "valid_from": "2026-01-01", "rate": "1.0612"}]
    path.write_text(yaml.safe_dump(firm))
    assert run("load", str(path)).exit_code == 0
    entries = db / "t.csv"
    entries.write_text("external_id,employee,project,task,date,hours\n"
                       "x1,E1,P1,DEV,2026-08-10,2\n")
    assert run("ingest", "--source", "t", str(entries)).exit_code == 0
    assert run("approve", "--project", "P1").exit_code == 0
    assert run("worker", "--once").exit_code == 0
    rows = run_json("ledger", "trial-balance")
    assert {(r["currency"], r["functional_currency"]) for r in rows} == {("CHF", "EUR")}
    functional = run_json("ledger", "trial-balance", "--functional")
    assert {r["account"]: r["balance"] for r in functional} == {"1210": "318.36",
                                                                "4000": "-318.36"}
    shown = run("ledger", "trial-balance")
    assert "318.36 EUR" in shown.stdout and "functional total per entity: DE EUR 0.00" in (
        shown.stdout.replace("\n", " "))
    assert "--functional" in run("ledger", "trial-balance", "--help").stdout
