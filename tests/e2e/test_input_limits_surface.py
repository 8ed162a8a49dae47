"""Input limits at the edges, on SQLite and PostgreSQL: API bodies and path ids over their
limit are a 422 problem naming the field; the CLI gives one readable line and exit 2."""

from __future__ import annotations

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
from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from support.api import api_client
from support.firm import small_firm_bundle

HOLD = {"scope": "project", "ref": "P1", "reason": "missing_po", "actor": "am", "note": "x"}
BIG_ID = 2**63  # one past the largest stored id
runner = CliRunner()


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    hb = bootstrap(Settings(database_url=database_url))
    with api_client(hb, raise_server_exceptions=False) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        yield client


def _fields(r: Any) -> set[str]:
    assert r.status_code == 422, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    return {e["field"] for e in r.json().get("errors") or []}


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/holds", {**HOLD, "note": "n" * 100_000}, "note"),
    ("/v1/holds", {**HOLD, "note": "a\u0001b"}, "note"),
    ("/v1/holds", {**HOLD, "ref": "r" * 129}, "ref"),
    ("/v1/holds", {**HOLD, "actor": "a" * 129}, "actor"),
    ("/v1/holds", {**HOLD, "actor": "a\tb"}, "actor"),
    ("/v1/holds", {**HOLD, "owner_role": "o" * 65}, "owner_role"),
    ("/v1/holds/0/release", {"note": "ok", "actor": "am"}, "hold_id"),
    ("/v1/approvals", {"actor": "am", "entry_ids": [1, 0]}, "entry_ids[1]"),
    ("/v1/approvals", {"actor": "am", "project": "P" * 65}, "project"),
    ("/v1/expense-approvals", {"actor": "am", "expense_ids": [-1]}, "expense_ids[0]"),
    ("/v1/rejections", {"actor": "am", "entry_ids": [0], "reason": "x"}, "entry_ids[0]"),
    ("/v1/adjustments", {"entry_id": 0, "billable_seconds": 60, "reason": "r",
                         "actor": "am"}, "entry_id"),
    ("/v1/adjustments", {"entry_id": 1, "billable_seconds": 60, "reason": "r" * 2001,
                         "actor": "am"}, "reason"),
    ("/v1/credit-notes", {"invoice_id": 1, "reason": "r", "actor": "am",
                          "lines": [{"line_no": 0}]}, "lines[0].line_no"),
    ("/v1/credit-notes", {"invoice_id": 0, "reason": "r", "actor": "am"}, "invoice_id"),
    ("/v1/invoices/issue", {"invoice_ids": [0]}, "invoice_ids[0]"),
    ("/v1/invoices/1/void", {"reason": "\u0007", "actor": "am"}, "reason"),
    ("/v1/exceptions/dismiss", {"ids": [0], "note": "n", "actor": "am"}, "ids[0]"),
    ("/v1/corrections/1/reject", {"note": "n" * 2001, "actor": "am"}, "note"),
    ("/v1/contracts/K1/milestones/M1/achievement",
     {"achieved_on": "2026-08-01", "note": "n" * 2001}, "note"),
    ("/v1/revenue-runs", {"period": "2026-08", "entity": "E" * 65}, "entity"),
])
def test_api_bodies_over_their_limits_are_422_naming_the_field(
        api: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    assert field in _fields(api.post(path, json=body))


@pytest.mark.parametrize("path", ["/v1/invoices/0", f"/v1/invoices/{BIG_ID}",
                                  f"/v1/contracts/{'K' * 65}",
                                  f"/v1/contracts/{'K' * 65}/revenue-schedule"])
def test_api_path_ids_out_of_range_are_422(api: TestClient, path: str) -> None:
    assert _fields(api.get(path))


def test_api_master_data_names_over_their_limit(api: TestClient) -> None:
    firm = small_firm_bundle()
    firm["customers"][1]["name"] = "N" * 201
    firm["projects"][0]["tasks"][0]["name"] = "T" * 201
    r = api.post("/v1/master-data", json=firm)
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert pointers == {"#/customers/1/name", "#/projects/0/tasks/0/name"}


def test_commands_check_their_values_whatever_the_edge(database_url: str) -> None:
    hb = bootstrap(Settings(database_url=database_url))
    try:
        with pytest.raises(InvalidInput, match="note is 100,000 characters"):
            hb.handle(c.PlaceHold("project", "P1", "other", "am", "n" * 100_000))
        with pytest.raises(InvalidInput, match="entry_ids\\[0\\]"):
            hb.handle(c.ApproveEntries("am", entry_ids=(BIG_ID,)))
        with pytest.raises(InvalidInput) as many:
            hb.handle(c.VoidInvoice(0, "a" * 129, "why"))
        assert {p.field for p in many.value.problems} == {"invoice_id", "actor"}  # type: ignore[attr-defined]
    finally:
        hb.close()


# --- CLI ------------------------------------------------------------------------------------
@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.chdir(tmp_path)
    bundle = tmp_path / "firm.yaml"
    bundle.write_text(yaml.safe_dump(small_firm_bundle()))
    assert runner.invoke(app, ["load", str(bundle)]).exit_code == 0
    return tmp_path


@pytest.mark.parametrize(("args", "says"), [
    (["holds", "place", "--reason", "other", "--project", "P" * 100_000],
     "ref is 100,000 characters long, more than the 128 allowed"),
    (["holds", "place", "--reason", "other", "--project", "P1", "--note", "n" * 2001],
     "note is 2,001 characters long"),
    (["approve", "--id", "99999999999999999999"], "--id 99999999999999999999 is not an id"),
    (["approve", "--id", "1", "--actor", "a\x01"], "actor holds control character U+0001"),
    (["invoices", "show", str(BIG_ID)], "invoice id"),
    (["invoices", "void", "0", "--reason", "other"], "invoice_id 0 is not an id"),
    (["export", "invoice", str(BIG_ID), "--format", "ubl"], "invoice id"),
    (["inbox", "retry", "0"], "inbox id 0 is not an id"),
])
def test_cli_values_over_their_limits_are_one_line_and_exit_2(
        cli_db: Path, args: list[str], says: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_cli_load_names_the_field_and_stays_readable(cli_db: Path) -> None:
    firm = small_firm_bundle()
    firm["projects"][0]["name"] = "N" * 201
    firm["customers"][0]["id"] = "C" * 100_000
    bad = cli_db / "bad.yaml"
    bad.write_text(yaml.safe_dump(firm, width=10**9))
    result = runner.invoke(app, ["load", str(bad)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "bad.yaml: customers[0].id" in result.stderr
    assert all(len(line) < 700 for line in result.stderr.splitlines())
    firm["customers"][0]["id"] = "ACME"
    bad.write_text(yaml.safe_dump(firm))
    result = runner.invoke(app, ["load", str(bad)])
    assert result.exit_code == 2, result.output
    assert "bad.yaml: projects[0].name" in result.stderr
    assert "201 characters long, more than the 200 allowed" in result.stderr
