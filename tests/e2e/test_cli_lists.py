"""The lists people look for show what a row is: a credit note's kind, an exception's status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/lists.db")
    monkeypatch.setenv("COLUMNS", "250")  # the tables' columns, unwrapped
    monkeypatch.chdir(tmp_path)
    return tmp_path


def ok(*args: str, exit_code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result.stdout


def test_invoices_list_shows_kind_and_exceptions_list_shows_status(db: Path) -> None:
    (db / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    (db / "t.csv").write_text(
        "external_id,employee,project,task,date,hours,notes\n"
        "A1,E1,P1,DEV,2026-08-10,2,design\n"
        "A2,E9,P1,DEV,2026-08-11,1,who\n")  # E9 is unknown: an exception
    ok("load", "firm.yaml")
    ok("ingest", "--source", "t", "t.csv", exit_code=1)  # A2 became an exception
    ok("approve", "--project", "P1")
    ok("bill", "--through", "2026-08-31")
    ok("invoices", "issue", "--all")
    [invoice] = json.loads(ok("invoices", "list", "--json"))
    ok("invoices", "credit", str(invoice["id"]), "--reason", "dispute")

    listed = ok("invoices", "list")
    assert "credit note" in listed and "invoice" in listed
    notes = [r for r in json.loads(ok("invoices", "list", "--json")) if r["kind"] != "invoice"]
    assert [n["credits"] for n in notes] == [invoice["id"]]

    exceptions = ok("exceptions", "list", "--status", "all")
    assert "status" in exceptions and "open" in exceptions and "unknown_employee" in exceptions
