"""The lists people look for, on the command line: entries by source and external id, entry
references (``SOURCE:EXTERNAL_ID``) wherever an entry is named, invoices by payment, the
exception queue's reason as it is now, and the exit codes of intake (0, 1, 2)."""

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

WEEK = ("external_id,employee,project,task,date,hours,notes\n"
        "A1,E1,P1,DEV,2026-08-10,2,design\n"
        "A2,E2,P1,DEV,2026-08-11,1.5,build\n"
        "A3,E1,INT,ADMIN,2026-08-12,1,internal\n")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/entries.db")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    assert runner.invoke(app, ["load", "firm.yaml"]).exit_code == 0
    return tmp_path


def run(*args: str, exit_code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result


def as_json(*args: str, exit_code: int = 0) -> Any:
    return json.loads(run(*args, "--json", exit_code=exit_code).stdout)


def test_entries_list_filters_and_references_name_entries_everywhere(db: Path) -> None:
    (db / "week.csv").write_text(WEEK)
    as_json("ingest", "--source", "harvest", "week.csv")
    every = as_json("entries", "list")
    assert [(e["source"], e["external_id"]) for e in every] == [
        ("harvest", "A1"), ("harvest", "A2"), ("harvest", "A3")]
    a2 = as_json("entries", "list", "--external-id", "A2")
    assert [e["employee"] for e in a2] == ["E2"]
    assert [e["external_id"] for e in as_json("entries", "list", "--customer", "ACME",
                                              "--from", "2026-08-11")] == ["A2"]
    # keyset paging: the page after the first entry
    assert [e["external_id"] for e in as_json("entries", "list", "--after",
                                              str(every[0]["id"]), "--limit", "1")] == ["A2"]

    # approve and adjust by SOURCE:EXTERNAL_ID; the list then shows WIP and approval
    approved = as_json("approve", "--id", "harvest:A1", "--id", str(a2[0]["id"]))
    assert approved["approved"] == 2
    run("adjust", "harvest:A2", "--hours", "1", "--reason", "goodwill")
    shown = as_json("entries", "show", "harvest:A2")
    assert (shown["approval"], shown["billable_seconds"], shown["wip_currency"]) == (
        "approved", 3600, "EUR")
    assert shown["wip_open"] == shown["wip_amount"] == "90.00"  # 1 h analyst at 90
    assert [e["external_id"] for e in as_json("entries", "list", "--approval", "approved")
            ] == ["A1", "A2"]

    # billed and issued: each entry names the invoice it is on, and the filter finds them
    run("bill", "--through", "2026-08-31")
    [issued] = as_json("invoices", "issue", "--all")["issued"]
    on_invoice = as_json("entries", "list", "--invoice", str(issued["id"]))
    assert [e["external_id"] for e in on_invoice] == ["A1", "A2"]
    assert {i["number"] for e in on_invoice for i in e["invoices"]} == {issued["number"]}
    assert all(e["wip_open"] == "0.00" for e in on_invoice)  # relieved by the invoice
    assert issued["number"] in run("entries", "list", "--billing", "invoiced").stdout

    # a reference that names nothing is one line and exit 2, naming it
    for args in (["approve", "--id", "harvest:NOPE"], ["entries", "show", "999"],
                 ["reject", "--id", "nope:A1", "--reason", "wrong_hours"],
                 ["adjust", "harvest:NOPE", "--hours", "1", "--reason", "goodwill"],
                 ["holds", "place", "--entry", "harvest:NOPE", "--reason", "dispute"]):
        refused = run(*args, exit_code=2)
        assert "NOPE" in refused.stderr or "999" in refused.stderr or "nope:A1" in \
            refused.stderr, args


def test_an_ambiguous_reference_is_refused_naming_both_entries(db: Path) -> None:
    # sources and external ids may hold a colon: "a:b:X" is source "a" or source "a:b"
    (db / "one.csv").write_text("external_id,employee,project,task,date,hours\n"
                                "b:X,E1,P1,DEV,2026-08-10,1\n")
    (db / "two.csv").write_text("external_id,employee,project,task,date,hours\n"
                                "X,E2,P1,DEV,2026-08-10,1\n")
    as_json("ingest", "--source", "a", "one.csv")
    as_json("ingest", "--source", "a:b", "two.csv")
    refused = run("entries", "show", "a:b:X", exit_code=2)
    assert "ambiguous" in refused.stderr and "a:b:X" in refused.stderr
    assert [e["id"] for e in as_json("entries", "list", "--source", "a:b")] == [2]


def test_ingest_exit_codes_and_the_csv_separator(db: Path) -> None:
    (db / "semi.csv").write_text(WEEK.replace(",", ";").replace("A3;E1", "A3;E9"))
    partly = run("ingest", "--source", "sheet", "semi.csv", exit_code=1)
    assert "rejected 1 by reason: unknown_employee 1" in partly.stdout
    assert [e["external_id"] for e in as_json("entries", "list", "--source", "sheet")] == [
        "A1", "A2"]

    (db / "tabs.tsv").write_text("external_id\temployee\tproject\ttask\tdate\thours\n"
                                 "T1\tE1\tP1\tDEV\t2026-08-17\t3\n")
    [report] = as_json("ingest", "--source", "sheet", "--delimiter", "tab", "tabs.tsv")
    assert (report["accepted"], report["rejected"], report["unreadable"]) == (1, 0, None)

    (db / "latin1.csv").write_bytes("external_id,employee\nZ1,Müller\n".encode("latin-1"))
    unreadable = run("ingest", "--source", "x", "latin1.csv", exit_code=2)
    assert "latin1.csv: cannot read: payload is not UTF-8" in unreadable.stderr
    assert run("ingest", "--source", "x", "--delimiter", "|", "semi.csv",
               exit_code=2).stderr.count("--delimiter") == 1
    # the same file in JSON: exit 1 again, whatever the format
    assert as_json("exceptions", "list")["by_reason"] == {"invalid_format": 1,
                                                          "unknown_employee": 1}


def test_exceptions_retry_reports_and_keeps_the_reason_found_now(db: Path) -> None:
    (db / "t.csv").write_text("external_id,employee,project,task,date,hours\n"
                              "N1,E3,P2,DEV,2026-08-10,1\n")
    as_json("ingest", "--source", "t", "t.csv", exit_code=1)
    [item] = as_json("exceptions", "list")["items"]
    assert item["reason"] == "unknown_project"
    # P2 now exists, but E3 is not assigned to it: the cause changed
    bundle = small_firm_bundle()
    p2 = {**bundle["projects"][0], "code": "P2", "name": "Phase 2",
          "assignments": [{"employee": "E1", "valid_from": "2026-07-01"}]}
    (db / "p2.yaml").write_text(yaml.safe_dump({"projects": [p2]}))
    run("load", "p2.yaml")
    retried = run("exceptions", "retry", exit_code=1).stdout
    assert "still open by reason: not_assigned 1" in retried
    assert f"exception {item['id']}: now not_assigned (was unknown_project)" in retried
    again = as_json("exceptions", "retry", exit_code=1)  # the new reason was kept
    assert again["still_open"] == {str(item["id"]): "not_assigned"}
    assert again["reason_changed"] == {}
    [kept] = as_json("exceptions", "list")["items"]
    assert (kept["reason"], kept["owner_role"]) == ("not_assigned", "project_manager")


def test_invoices_list_payment_column_and_filters(db: Path) -> None:
    (db / "week.csv").write_text(WEEK)
    as_json("ingest", "--source", "harvest", "week.csv")
    run("approve", "--project", "P1")
    run("bill", "--through", "2026-08-31")
    [draft] = as_json("invoices", "list")
    assert (draft["status"], draft["payment"]) == ("draft", None)
    run("invoices", "issue", "--all", "--date", "2026-09-01")
    [invoice] = as_json("invoices", "list", "--payment", "unpaid")
    run("invoices", "credit", str(invoice["id"]), "--reason", "dispute", "--issue-date",
        "2026-09-02")
    kinds = {(r["kind"], r["payment"]) for r in as_json("invoices", "list")}
    assert kinds == {("invoice", "unpaid"), ("credit_note", "unapplied")}
    assert [r["kind"] for r in as_json("invoices", "list", "--kind", "credit_note")] == [
        "credit_note"]
    assert [r["id"] for r in as_json("invoices", "list", "--from", "2026-09-02")] != [
        invoice["id"]]
    assert as_json("invoices", "list", "--customer", "SELF") == []
    assert as_json("invoices", "list", "--payment", "paid") == []
    assert "unpaid" in run("invoices", "list").stdout
    assert "paid or unpaid" in run("invoices", "list", "--payment", "maybe",
                                   exit_code=2).stderr
