"""The identity map's matching rules: external id, else VAT id, else exact name; anything
ambiguous is a problem naming the candidates, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hourbridge.domain.erp import ErpCustomer, ErpProfile, external_id, map_invoice
from hourbridge.domain.erp_identity import OurCustomer, match_customers

PROFILE = ErpProfile("odoo-de", "odoo", "DE", "1", "INV", "EUR", "121000",
                     {"default": "400000"}, connection={"url": "http://odoo"})


def ours(code: str, name: str, vat: str | None = None) -> OurCustomer:
    return OurCustomer(code, "DE", external_id(f"customer:DE:{code}"), name, vat)


def erp(erp_id: str, name: str, vat: str | None = None, eid: str | None = None) -> ErpCustomer:
    return ErpCustomer(erp_id, eid, name, vat, "EUR")


def test_external_id_then_vat_then_exact_name() -> None:
    mine = [ours("A", "Acme GmbH", "DE123"), ours("B", "Beta AG", "DE 456"),
            ours("C", "Gamma SE"), ours("D", "Delta KG")]
    theirs = [erp("1", "Acme (renamed)", eid=external_id("customer:DE:A")),
              erp("2", "Beta Aktiengesellschaft", "de-456"), erp("3", "Gamma SE"),
              erp("4", "delta kg")]  # not exactly the name: not a match
    matches, problems = match_customers("x", mine, theirs)
    assert [(m.customer, m.erp_id, m.matched_by) for m in matches] == [
        ("A", "1", "external_id"), ("B", "2", "vat_id"), ("C", "3", "name")]
    assert problems == []


def test_ambiguity_is_a_problem_never_a_guess() -> None:
    mine = [ours("A", "Acme GmbH"), ours("B", "Beta AG", "DE9"), ours("C", "Beta AG", "DE9"),
            ours("D", "Other")]
    theirs = [erp("1", "Acme GmbH"), erp("2", "Acme GmbH"), erp("3", "Beta", "DE9"),
              # carries D's external id: D's, and no one else's by name or VAT id
              erp("4", "Acme GmbH", eid=external_id("customer:DE:D"))]
    matches, problems = match_customers("x", mine, theirs)
    assert [(m.customer, m.erp_id) for m in matches] == [("D", "4")]
    assert [(p.code, p.where, p.field) for p in problems] == [
        ("ambiguous_erp_customer", "erp_customers[x].A", "name"),
        ("ambiguous_erp_customer", "erp_customers[x].B", "vat_id"),
        ("ambiguous_erp_customer", "erp_customers[x].C", "vat_id")]
    assert "matches 2 customers in x by name: 1 (Acme GmbH), 2 (Acme GmbH)" in (
        problems[0].message)
    assert "B (Beta AG) and C all match 3" in problems[1].message


def test_a_write_down_line_stays_negative_on_the_invoice() -> None:
    invoice = {"kind": "invoice", "currency": "EUR", "issue_date": date(2026, 9, 30),
               "number": "DE-1", "entity": "DE", "customer": "A", "net": "150.00",
               "tax": "0", "total": "150.00", "tax_code": None, "snapshot": {}}
    lines = [{"kind": "time", "quantity_hours": "2", "rate": "100", "amount": "200.00",
              "description": "work"},
             {"kind": "cap_write_down", "quantity_hours": "0", "rate": "50",
              "amount": "-50.00", "description": "cap"}]
    doc = map_invoice(PROFILE, "k", invoice, lines)
    assert not isinstance(doc, list)
    assert [(ln.quantity, ln.unit_price, ln.amount) for ln in doc.lines] == [
        (Decimal(2), Decimal(100), Decimal("200.00")), (Decimal(1), Decimal("-50.00"),
                                                        Decimal("-50.00"))]
