"""Projects in the identity map: our external id, else code, else exact name; a rule that
finds several, or an ERP project two of ours claim, is a problem, never a guess; an
invoice line names the ERP project the map holds, and none for an ambiguous one."""

from __future__ import annotations

from datetime import date

from hourbridge.domain.erp import ErpProfile, ErpProject, external_id, map_invoice
from hourbridge.domain.erp_identity import OurProject, match_projects

PROFILE = ErpProfile("sap-de", "sap", "DE", "1010", "F2", "EUR", "1100",
                     {"default": "4000"}, connection={"url": "http://sap"})


def ours(code: str, name: str) -> OurProject:
    return OurProject(code, "DE", external_id(f"project:DE:{code}"), name)


def test_external_id_then_code_then_exact_name_and_ambiguity_is_a_problem() -> None:
    mine = [ours("A", "Alpha"), ours("B", "Beta"), ours("C", "Gamma"), ours("D", "Delta"),
            ours("E", "Same"), ours("F", "Same"), ours("G", "Nowhere")]
    theirs = [ErpProject("1", external_id("project:DE:A"), "PRJ-1", "Alpha (ERP)"),
              ErpProject("2", None, "B", "Beta renamed"),
              ErpProject("3", None, "X3", "Gamma"),
              ErpProject("4", None, "X4", "Delta"), ErpProject("5", None, "X5", "Delta"),
              ErpProject("6", None, "X6", "Same"),
              # carries A's external id and G's code: it is A's, not G's
              ErpProject("7", external_id("project:DE:A"), "G", "Other")]
    matches, problems = match_projects("sap-de", mine, theirs)
    assert [(m.customer, m.erp_id, m.matched_by) for m in matches] == [
        ("B", "2", "code"), ("C", "3", "name")]
    assert [(p.code, p.where, p.field) for p in problems] == [
        ("ambiguous_erp_project", "erp_projects[sap-de].A", "external_id"),
        ("ambiguous_erp_project", "erp_projects[sap-de].D", "name"),
        ("ambiguous_erp_project", "erp_projects[sap-de].E", "name"),
        ("ambiguous_erp_project", "erp_projects[sap-de].F", "name")]
    assert "matches 2 projects in sap-de by external_id: 1 (Alpha (ERP)), 7" in \
        problems[0].message
    assert "and F all match 6 (Same)" in problems[2].message


def test_invoice_lines_name_the_erp_project_the_map_holds() -> None:
    invoice = {"net": "150.00", "tax": "28.50", "total": "178.50", "currency": "EUR",
               "issue_date": date(2026, 9, 30), "number": "DE-1", "entity": "DE",
               "customer": "ACME", "kind": "invoice", "snapshot": {}}
    lines = [{"description": "Work", "amount": "100.00", "quantity_hours": "1",
              "rate": "100.00", "project": "P1"},
             {"description": "More", "amount": "50.00", "quantity_hours": "1",
              "rate": "50.00", "project": "P2"}]
    doc = map_invoice(PROFILE, "invoice-issued:DE:DE-1", invoice, lines,
                      {"P1": "SAP-P1", "P2": ""})  # P2 ambiguous at the last pull
    assert not isinstance(doc, list)
    assert [ln.project for ln in doc.lines] == ["SAP-P1", None]
