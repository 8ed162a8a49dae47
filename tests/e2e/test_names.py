"""One name per concept (docs/GLOSSARY.md) at the edges: a reason is a code from a listed set
and a note free text on every command and request that takes them; renamed options and
fields still work for one version, saying so (one stderr line; a ``Deprecation`` header)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hourbridge.api.deprecation import DEPRECATED_ON
from hourbridge.bootstrap import bootstrap
from hourbridge.cli.app import app
from hourbridge.config import Settings
from hourbridge.domain import reasons
from support.api import api_client
from support.firm import small_firm_bundle

runner = CliRunner()
ENTRIES = [{"external_id": f"a{i}", "employee": "E2", "project": "P1", "task": "DEV",
            "date": f"2026-08-1{i}", "hours": "2"} for i in range(3)]
DEPRECATION = f"@{int(DEPRECATED_ON.timestamp())}"  # RFC 9745: a Structured Field Date

# every command that takes --reason, with the set it lists
REASON_COMMANDS: list[tuple[list[str], tuple[str, ...]]] = [
    (["reject", "--id", "1"], reasons.REJECTION_REASONS),
    (["adjust", "1", "--hours", "1"], reasons.ADJUSTMENT_REASONS),
    (["invoices", "void", "1"], reasons.VOID_REASONS),
    (["invoices", "credit", "1"], reasons.CREDIT_REASONS),
    (["holds", "place", "--project", "P1"], reasons.HOLD_REASONS),
    (["exceptions", "list"], reasons.EXCEPTION_REASONS),
]


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    with api_client(bootstrap(Settings(database_url=database_url))) as client:
        assert client.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        assert client.post("/v1/time-entries",
                           json={"source": "t", "entries": ENTRIES}).status_code == 201
        yield client


def _issued(api: TestClient) -> dict[str, Any]:
    assert api.post("/v1/approvals", json={"actor": "pm", "project": "P1"}).status_code == 200
    [draft] = api.post("/v1/billing-runs", json={"through": "2026-08-31"}).json()["invoices"]
    r = api.post("/v1/invoices/issue", json={"invoice_ids": [draft["id"]]})
    assert r.status_code == 200, r.text
    return dict(r.json()["issued"][0])


def test_openapi_shows_only_the_new_names(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    for model in ("ApprovalIn", "ExpenseApprovalIn"):
        props = schemas[model]["properties"]
        assert {"from", "to"} <= set(props) and not {"date_from", "date_to"} & set(props)
    for model, codes in (("VoidIn", reasons.VOID_REASONS),
                         ("CreditNoteIn", reasons.CREDIT_REASONS),
                         ("AdjustmentIn", reasons.ADJUSTMENT_REASONS),
                         ("RejectionIn", reasons.REJECTION_REASONS)):
        props = schemas[model]["properties"]
        assert "note" in props
        assert all(code in props["reason"]["description"] for code in codes)


def test_old_range_names_work_and_are_marked_deprecated(api: TestClient) -> None:
    old = api.post("/v1/approvals", json={"actor": "pm", "project": "P1",
                                          "date_from": "2026-08-10", "date_to": "2026-08-10"})
    assert old.status_code == 200 and old.json()["approved"] == 1
    assert old.headers["deprecation"] == DEPRECATION
    new = api.post("/v1/approvals", json={"project": "P1",
                                          "from": "2026-08-11", "to": "2026-08-12"})
    assert new.status_code == 200 and new.json()["approved"] == 2
    assert "deprecation" not in new.headers


def test_reason_code_and_note_are_kept_and_free_text_is_the_old_form(api: TestClient) -> None:
    invoice = _issued(api)
    r = api.post(f"/v1/invoices/{invoice['id']}/void",
                 json={"reason": "wrong_customer", "note": "meant for Acme AT"})
    assert r.status_code == 200, r.text
    assert "deprecation" not in r.headers
    shown = api.get(f"/v1/invoices/{invoice['id']}").json()
    assert shown["void_reason"] == "wrong_customer: meant for Acme AT"
    # the work bills again: a second invoice, credited with the old free-text reason
    second = _issued(api)
    credit = api.post("/v1/credit-notes", json={"invoice_id": second["id"], "actor": "f",
                                                "reason": "the customer disputes it"})
    assert credit.status_code == 201, credit.text
    assert credit.headers["deprecation"] == DEPRECATION
    note = api.get(f"/v1/invoices/{credit.json()['id']}").json()
    assert note["reason"] == "other: the customer disputes it"


@pytest.fixture
def firm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/n.db")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "firm.json").write_text(json.dumps(small_firm_bundle()))
    header = "external_id,employee,project,task,date,hours\n"
    (tmp_path / "t.csv").write_text(header + "".join(
        f"{e['external_id']},E2,P1,DEV,{e['date']},2\n" for e in ENTRIES))
    for args in (["load", "firm.json"], ["ingest", "--source", "t", "t.csv"],
                 ["approve", "--project", "P1"], ["bill", "--through", "2026-08-31"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return tmp_path


def _unboxed(text: str) -> str:
    """rich's help and error panels as one line of words (without the box)."""
    return " ".join(text.replace("│", " ").split())


@pytest.mark.parametrize(("command", "codes"), REASON_COMMANDS,
                         ids=[" ".join(c[:2]) for c, _ in REASON_COMMANDS])
def test_every_reason_option_is_a_listed_code(command: list[str], codes: tuple[str, ...],
                                              firm: Path) -> None:
    path = [w for w in command if w.isalpha()][:2]  # the command without its arguments
    shown = runner.invoke(app, [*path, "--help"])
    assert shown.exit_code == 0 and ", ".join(codes) in _unboxed(shown.stdout)
    refused = runner.invoke(app, [*command, "--reason", "because I said so"])
    assert refused.exit_code == 2
    said = _unboxed(refused.stderr)
    assert "is not a reason code" in said and ", ".join(codes) in said


def test_renamed_options_warn_once_and_still_work(firm: Path) -> None:
    [draft] = json.loads(runner.invoke(app, ["invoices", "list", "--json"]).stdout)
    old = runner.invoke(app, ["invoices", "issue", str(draft["id"]), "--date", "2026-09-01",
                              "--json"])
    assert old.exit_code == 0, old.output
    assert json.loads(old.stdout)["issued"][0]["issue_date"] == "2026-09-01"
    warning = [ln for ln in old.stderr.splitlines() if ln.strip()]
    assert warning == ["warning: --date is deprecated and will be removed in the next "
                       "version; use --issue-date"]
    both = runner.invoke(app, ["invoices", "void", str(draft["id"]), "--reason", "other",
                               "--date", "2026-09-02", "--void-date", "2026-09-02"])
    assert both.exit_code == 2 and "give --void-date only" in both.stderr
    void = runner.invoke(app, ["invoices", "void", str(draft["id"]), "--reason",
                               "wrong_period", "--note", "belongs to September",
                               "--void-date", "2026-09-02", "--json"])
    assert void.exit_code == 0 and void.stderr == ""
    shown = json.loads(runner.invoke(app, ["invoices", "show", str(draft["id"]),
                                           "--json"]).stdout)
    assert (shown["void_reason"], shown["void_date"]) == (
        "wrong_period: belongs to September", "2026-09-02")


def test_time_rows_under_old_names_are_taken_and_reported(database_url: str) -> None:
    with api_client(bootstrap(Settings(database_url=database_url))) as api:
        assert api.post("/v1/master-data", json=small_firm_bundle()).status_code == 200
        new = api.post("/v1/time-entries", json={"source": "t", "time_entries": [
            {("work_date" if k == "date" else k): v for k, v in ENTRIES[0].items()}]})
        assert new.status_code == 201, new.text
        assert (new.json()["accepted"], new.json()["warnings"]) == (1, [])
        assert "deprecation" not in new.headers
        old = api.post("/v1/time-entries", json={"source": "t", "entries": ENTRIES[1:]})
        assert old.status_code == 201, old.text
        assert old.json()["accepted"] == 2
        assert old.json()["warnings"] == ["field 'date' is deprecated: name it 'work_date'"]
        assert old.headers["deprecation"] == DEPRECATION
        dates = sorted(e["work_date"] for e in api.get("/v1/time-entries").json()["items"])
        assert dates == [e["date"] for e in ENTRIES]


def test_ingest_says_on_stderr_when_a_file_uses_an_old_column(firm: Path) -> None:
    (firm / "new.csv").write_text("external_id,employee,project,task,work_date,hours\n"
                                  "n1,E2,P1,DEV,2026-08-20,1\n")
    (firm / "old.csv").write_text("external_id,employee,project,task,date,hours\n"
                                  "o1,E2,P1,DEV,2026-08-21,1\n")
    new = runner.invoke(app, ["ingest", "--source", "t", "new.csv", "--json"])
    assert new.exit_code == 0 and new.stderr == ""
    assert json.loads(new.stdout)[0]["accepted"] == 1
    old = runner.invoke(app, ["ingest", "--source", "t", "old.csv", "--json"])
    assert old.exit_code == 0 and json.loads(old.stdout)[0]["accepted"] == 1
    assert _unboxed(old.stderr) == (
        "warning: old.csv: field 'date' is deprecated: name it 'work_date'")


def _fx_bundle(policy: str) -> dict[str, Any]:
    bundle = small_firm_bundle()
    bundle["contracts"][0]["fx_rate_date"] = policy
    return bundle


def test_an_old_bundle_value_is_read_and_the_load_report_says_so(database_url: str) -> None:
    with api_client(bootstrap(Settings(database_url=database_url))) as api:
        old = api.post("/v1/master-data", json=_fx_bundle("invoice_date"))
        assert old.status_code == 200, old.text
        [warning] = old.json()["warnings"]
        assert "contracts[0].fx_rate_date: 'invoice_date' is deprecated: name it 'issue_date'" \
            in warning
        assert old.headers["deprecation"] == DEPRECATION
        [stored] = [k for k in api.get("/v1/contracts").json()["items"]
                    if k["id"] == small_firm_bundle()["contracts"][0]["id"]]
        assert stored["fx_rate_date"] == "issue_date"
        # the same contract under its new name: nothing changed, nothing to warn about
        new = api.post("/v1/master-data", json=_fx_bundle("issue_date"))
        assert new.json()["warnings"] == [] and "deprecation" not in new.headers
        assert new.json()["counts"]["contracts"]["updated"] == 0


def test_load_warns_on_stderr_for_an_old_bundle_value(firm: Path) -> None:
    (firm / "old.json").write_text(json.dumps(_fx_bundle("invoice_date")))
    result = runner.invoke(app, ["load", "old.json", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == [
        "old.json: contracts[0].fx_rate_date: 'invoice_date' is deprecated: name it "
        "'issue_date'"]
    assert _unboxed(result.stderr) == (
        "warning: old.json: contracts[0].fx_rate_date: 'invoice_date' is deprecated: name it "
        "'issue_date'")
