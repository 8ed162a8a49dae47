"""``hourbridge load``: nested parts merge by key, removals are explicit and listed, a dry run
shows the diff and writes nothing, and bad reference data is refused naming the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    # a PostgreSQL schema is created by `db upgrade` only (SQLite migrates on first use)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    return tmp_path


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def write(path: Path, bundle: dict[str, Any]) -> str:
    path.write_text(json.dumps(bundle))
    return str(path)


def load_json(*args: str) -> dict[str, Any]:
    result = run("load", *args, "--json")
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def stored_project(code: str) -> dict[str, Any]:
    result = run("load", "--help")  # any command: the session bootstraps the schema
    assert result.exit_code == 0
    from hourbridge.bootstrap import bootstrap

    hb = bootstrap()
    try:
        [project] = [p for p in hb.queries.masterdata("projects") if p["code"] == code]
        return project
    finally:
        hb.close()


def p1(**changes: Any) -> dict[str, Any]:
    """A bundle of project P1 alone: the other records are stored already."""
    project = {"code": "P1", "name": "ERP rollout", "customer": "ACME", "entity": "DE",
               "contract": "K1", **changes}
    return {"projects": [project]}


@pytest.fixture
def loaded(db: Path) -> Path:
    load_json(write(db / "firm.json", small_firm_bundle()))
    return db


def test_adding_one_assignment_keeps_the_others(loaded: Path) -> None:
    path = write(loaded / "p1.json", p1(assignments=[
        {"employee": "E3", "valid_from": "2026-08-01"}]))
    report = load_json(path)
    assert report["counts"]["projects"] == {"created": 0, "updated": 1, "unchanged": 0}
    [change] = report["changes"]
    assert (change["kind"], change["key"], change["action"]) == ("projects", "P1", "changed")
    assert change["parts"] == [{"part": "assignments", "key": "E3@2026-08-01",
                                "action": "added", "fields": []}]
    project = stored_project("P1")
    assert [a["employee"] for a in project["assignments"]] == ["E1", "E2", "E3"]
    assert {t["code"] for t in project["tasks"]} == {"DEV", "TRAVEL"}
    assert load_json(path)["changes"] == []  # the same file again changes nothing


def test_dry_run_shows_added_changed_removed_and_writes_nothing(loaded: Path) -> None:
    bundle = p1(name="ERP rollout phase 2", tasks=[
        {"code": "TRAVEL", "name": "Travel", "billable": True},
        {"code": "QA", "name": "Testing"},
        {"code": "DEV", "remove": True}])
    path = write(loaded / "p1.json", bundle)
    before = stored_project("P1")
    report = load_json("--dry-run", path)
    assert report["dry_run"] is True
    [change] = report["changes"]
    assert change["fields"] == [{"field": "name", "old": "ERP rollout",
                                 "new": "ERP rollout phase 2"}]
    assert {(p["part"], p["key"], p["action"]) for p in change["parts"]} == {
        ("tasks", "TRAVEL", "changed"), ("tasks", "QA", "added"), ("tasks", "DEV", "removed")}
    [travel] = [p for p in change["parts"] if p["key"] == "TRAVEL"]
    assert travel["fields"] == [{"field": "billable", "old": False, "new": True}]
    assert stored_project("P1") == before

    text = run("load", "--dry-run", path)
    assert text.exit_code == 0, text.output
    assert "~ projects P1 changed: name: \"ERP rollout\" -> \"ERP rollout phase 2\"" in text.stdout
    assert "- tasks DEV removed" in text.stdout and "+ tasks QA added" in text.stdout
    assert "dry run: nothing written" in text.stdout
    assert stored_project("P1") == before

    real = run("load", path)  # the real load prints the same lines, removals included
    assert real.exit_code == 0, real.output
    assert "- tasks DEV removed" in real.stdout and "1 nested part(s) removed" in real.stdout
    assert {t["code"] for t in stored_project("P1")["tasks"]} == {"TRAVEL", "QA"}


def test_removal_by_marker_is_listed(loaded: Path) -> None:
    path = write(loaded / "p1.json", p1(assignments=[
        {"employee": "E2", "valid_from": "2026-07-01", "remove": True}]))
    [change] = load_json(path)["changes"]
    assert change["parts"] == [{"part": "assignments", "key": "E2@2026-07-01",
                                "action": "removed", "fields": []}]
    assert [a["employee"] for a in stored_project("P1")["assignments"]] == ["E1"]
    assert load_json(path)["changes"] == []  # removing what is gone is no change


def test_replace_removes_the_parts_not_named_and_lists_them(loaded: Path) -> None:
    path = write(loaded / "p1.json", p1(
        tasks=[{"code": "DEV", "name": "Development"}],
        assignments=[{"employee": "E1", "valid_from": "2026-07-01"}]))
    report = load_json("--replace", path)
    [change] = report["changes"]
    assert sorted((p["part"], p["key"], p["action"]) for p in change["parts"]) == [
        ("assignments", "E2@2026-07-01", "removed"), ("tasks", "TRAVEL", "removed")]
    project = stored_project("P1")
    assert [a["employee"] for a in project["assignments"]] == ["E1"]
    assert [t["code"] for t in project["tasks"]] == ["DEV"]


def test_a_removal_marker_names_only_the_key(loaded: Path) -> None:
    path = write(loaded / "p1.json", p1(tasks=[{"code": "DEV", "name": "x", "remove": True}]))
    result = run("load", path)
    assert result.exit_code == 2
    assert "p1.json: projects[0].tasks[0].name" in result.stderr


@pytest.mark.parametrize(("where", "value", "field"), [
    ("customer", {"country": "XX"}, "customers[0].country"),
    ("customer", {"vat_id": "hello world"}, "customers[0].vat_id"),
    ("customer", {"vat_id": "DE123456789"}, "customers[0].vat_id"),  # wrong check digit
    ("customer", {"currency": "ABC"}, "customers[0].currency"),
    ("employee", {"timezone": "Mars/Olympus"}, "employees[0].timezone"),
    ("entity", {"vat_id": "ATU1234"}, "entities[0].vat_id"),
])
def test_bad_reference_data_is_refused_naming_the_field(
        db: Path, where: str, value: dict[str, Any], field: str) -> None:
    bundle = small_firm_bundle()
    target = {"customer": bundle["customers"][0], "employee": bundle["employees"][0],
              "entity": bundle["entities"][0]}[where]
    if where == "entity":
        target["country"] = "AT"
    target.update(value)
    result = run("load", write(db / "bad.json", bundle))
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if f"bad.json: {field}" in ln]
    assert len(lines) == 1, result.stderr
    assert str(next(iter(value.values()))) in lines[0]


def test_a_tax_rate_as_a_fraction_loads_with_a_warning_on_stderr(db: Path) -> None:
    firm = small_firm_bundle()
    firm["entities"][0]["tax_rates"] = {"standard": "0.19"}  # the old form
    out = load_json(write(db / "old.json", firm))
    [warning] = out["warnings"]
    assert "entities[0].tax_rates.standard: 0.19 is read as the old fraction form" in warning
    firm["entities"][0]["tax_rates"] = {"standard": "19"}  # the same rate in percent
    result = run("load", write(db / "new.json", firm))
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr and "entities DE" not in result.stdout  # unchanged
