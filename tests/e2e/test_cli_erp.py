"""``hourbridge erp``: profiles load (refusals name the field, exit 2), push, and postings as
text and JSON, against the local Odoo imitation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hourbridge.cli.app import app
from support.firm import small_firm_bundle
from support.odoo import Odoo
from support.odoo_server import imitate_odoo

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HOURBRIDGE_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("HOURBRIDGE_ERP_ODOO_DE_KEY", "odoo-api-key")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def _profile(url: str, **more: Any) -> dict[str, Any]:
    return {"destination": "odoo-de", "system": "odoo", "entity": "DE", "company": "1",
            "journal": "INV", "entries_journal": "MISC", "currency": "EUR",
            "receivable_account": "121000", "revenue_accounts": {"default": "400000"},
            "tax_codes": {"standard": "19% S"}, "accounts": {"1210": "1210", "4000": "4000"},
            "connection": {"url": url, "database": "acme", "login": "api@acme.example"},
            **more}


def test_push_then_postings_as_text_and_json(db: Path) -> None:
    (db / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    run("load", str(db / "firm.yaml"))
    (db / "t.csv").write_text("external_id,employee,project,task,date,hours,notes\n"
                              "a1,E1,P1,DEV,2026-08-10,1.5,design\n"
                              "a2,E2,P1,DEV,2026-09-11,2,build\n")
    run("ingest", "--source", "harvest", str(db / "t.csv"))
    run("approve", "--project", "P1")
    run("bill", "--through", "2026-09-30")
    run("invoices", "issue", "--all")
    with imitate_odoo(Odoo()) as odoo:
        (db / "bad.yaml").write_text(yaml.safe_dump({"erp_profiles": [
            _profile(odoo.url, entity="XX")]}))
        refused = run("erp", "profiles", "load", str(db / "bad.yaml"), code=2)
        assert "erp_profiles[0].entity" in refused.output
        (db / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [_profile(odoo.url)]}))
        run("erp", "profiles", "load", str(db / "erp.yaml"))
        pushed = json.loads(run("erp", "push", "--entity", "DE", "--json").stdout)
        assert pushed["queued"] == 3 and pushed["destinations"] == ["odoo-de"]
        assert pushed["delivery"]["dead"] == 0
        again = run("erp", "push").output
        assert "queued 0 (already queued 3) for odoo-de" in again
        moves = {str(m["id"]): m for m in odoo.moves()}
    rows = json.loads(run("erp", "postings", "--json").stdout)
    assert len(rows) == 3 and {r["status"] for r in rows} == {"posted"}
    assert {r["erp_id"] for r in rows} == set(moves)
    assert {r["kind"] for r in rows} == {"invoice", "journal_entry"}
    text = run("erp", "postings", "--destination", "odoo-de").output
    assert "ERP postings" in text and text.count("posted") == 3
    for r in rows:
        assert r["external_id"] in text or r["external_id"][:20] in text


def test_customers_pull_and_check_against_odoo(db: Path) -> None:
    (db / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    run("load", str(db / "firm.yaml"))
    with imitate_odoo(Odoo()) as odoo:
        acme = odoo._add("res.partner", {"name": "Acme AG", "vat": "DE123456788",
                                         "customer_rank": 1, "currency_id": [1, "EUR"]})
        (db / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [_profile(odoo.url)]}))
        run("erp", "profiles", "load", str(db / "erp.yaml"))
        pulled = json.loads(run("erp", "customers", "pull", "odoo-de", "--json").stdout)
        assert pulled["matched_by"] == {"vat_id": 1} and pulled["erp_customers"] == 1
        assert pulled["customers"] == [{"customer": "ACME", "erp_id": str(acme),
                                        "matched_by": "vat_id", "erp_name": "Acme AG"}]
        text = run("erp", "customers", "pull", "odoo-de").output
        assert "1 customer(s) in the ERP, 1 of ours matched (vat_id 1)" in text
        listed = run("erp", "customers", "list").output
        assert "ACME" in listed and str(acme) in listed
        assert "odoo-de (odoo): ready" in run("erp", "check", "DE").output
        (db / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [_profile(
            odoo.url, items={"time": "SENIOR"}, tax_codes={"standard": "7% S"})]}))
        run("erp", "profiles", "load", str(db / "erp.yaml"))
        missing = run("erp", "check", "DE", code=1).output
        assert "missing: Odoo has no tax '7% S' (account.tax.name)" in missing
        assert "missing: Odoo has no product 'SENIOR' (product.product.default_code)" in missing
    refused = run("erp", "customers", "pull", "nowhere", code=2)
    assert "nowhere" in refused.output


def test_projects_pull_and_list_against_sap_and_refused_for_odoo(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from support.cloud_erps import SAP

    monkeypatch.setenv(SAP.key_env, SAP.secret)
    (db / "firm.yaml").write_text(yaml.safe_dump(small_firm_bundle()))
    run("load", str(db / "firm.yaml"))
    with SAP.imitate() as sap, imitate_odoo(Odoo()) as odoo:
        sap.projects += [{"Project": "P1", "ProjectDescription": "Rollout", "CompanyCode": "1010"},
                         {"Project": "X1", "ProjectDescription": "Internal",
                          "CompanyCode": "1010"},
                         {"Project": "X2", "ProjectDescription": "Internal",
                          "CompanyCode": "1010"}]
        (db / "erp.yaml").write_text(yaml.safe_dump({"erp_profiles": [
            SAP.profile(sap.url), _profile(odoo.url)]}))
        run("erp", "profiles", "load", str(db / "erp.yaml"))
        pulled = json.loads(run("erp", "projects", "pull", "sap-de", "--json").stdout)
        assert pulled["projects"] == [{"project": "P1", "erp_id": "P1", "matched_by": "code",
                                       "erp_name": "Rollout"}]
        assert pulled["erp_projects"] == 3 and len(pulled["ambiguous"]) == 1
        text = run("erp", "projects", "pull", "sap-de").output
        assert "3 project(s) in the ERP, 1 of ours matched (code 1)" in text
        assert "ambiguous: project INT (Internal) matches 2 projects" in text
        listed = run("erp", "projects", "list", "--destination", "sap-de").output
        assert "P1" in listed and "ambiguous" in listed
        refused = run("erp", "projects", "pull", "odoo-de", code=2)
        assert "holds no projects" in refused.output
    assert run("erp", "projects", "list", "--json").stdout.count('"project"') == 2
