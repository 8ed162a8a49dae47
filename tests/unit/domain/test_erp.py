"""ERP profiles and documents: deterministic external ids, lines an ERP totals to the cent,
credit notes with positive amounts, and a codec that keeps every decimal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.domain.erp import (
    ErpProfile,
    check_profile,
    document_from_data,
    document_to_data,
    external_id,
    map_invoice,
    map_journal,
)

PROFILE = ErpProfile("odoo-de", "odoo", "DE", "1", "INV", "EUR", "121000",
                     {"default": "400000", "expense": "400200"}, {"standard": "19% S"},
                     connection={"url": "http://odoo"})


def _invoice(kind: str = "invoice", sign: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    invoice = {"kind": kind, "number": "DE-000007", "entity": "DE", "customer": "ACME",
               "currency": "EUR", "issue_date": date(2026, 11, 2), "due_date": date(2026, 11, 16),
               "net": str(sign * Decimal("218.33")), "tax": str(sign * Decimal("41.48")),
               "total": str(sign * Decimal("259.81")), "tax_code": "standard",
               "snapshot": {"buyer": {"name": "Acme AG", "country": "DE",
                                      "vat_id": "DE123456788"}, "purchase_order": "PO-1"}}
    lines = [
        {"description": "Dev", "kind": "time", "quantity_hours": str(sign * Decimal("1.25")),
         "rate": "150.00", "amount": str(sign * Decimal("187.50"))},
        # 0.33 h x 93.42 = 30.8286: the invoice rounded it to 30.83
        {"description": "Taxi", "kind": "expense", "quantity_hours": str(sign * Decimal("0.33")),
         "rate": "93.42", "amount": str(sign * Decimal("30.83"))},
    ]
    return invoice, lines


def test_external_ids_are_deterministic_and_short() -> None:
    assert external_id("invoice-issued:DE:DE-000007") == "hb:invoice-issued:DE:DE-000007"
    long_key = "x" * 200
    assert external_id(long_key) == external_id(long_key)
    assert len(external_id(long_key)) == 64 and external_id(long_key) != external_id("y" * 200)


def test_invoice_lines_total_to_the_cent_in_any_erp() -> None:
    invoice, lines = _invoice()
    doc = map_invoice(PROFILE, "invoice-issued:DE:DE-000007", invoice, lines)
    assert not isinstance(doc, list)
    assert [(ln.quantity, ln.unit_price, ln.account, ln.tax) for ln in doc.lines] == [
        (Decimal("1.25"), Decimal("150.00"), "400000", "19% S"),
        (Decimal(1), Decimal("30.83"), "400200", "19% S")]  # rounded: one unit of its amount
    assert sum(ln.quantity * ln.unit_price for ln in doc.lines) == doc.net
    assert doc.partner is not None and doc.partner.external_id == "hb:customer:DE:ACME"
    assert (doc.number, doc.reference) == ("DE-000007", "PO-1")


def test_credit_notes_carry_positive_amounts_and_erp_numbering_drops_ours() -> None:
    invoice, lines = _invoice("credit_note", -1)
    doc = map_invoice(replace(PROFILE, numbering="erp"), "k", invoice, lines)
    assert not isinstance(doc, list)
    assert doc.kind == "credit_note" and doc.number is None
    assert (doc.net, doc.total) == (Decimal("218.33"), Decimal("259.81"))
    assert all(ln.amount > 0 for ln in doc.lines)


def test_codec_round_trips_every_decimal() -> None:
    invoice, lines = _invoice()
    doc = map_invoice(PROFILE, "k", invoice, lines)
    assert not isinstance(doc, list)
    assert document_from_data(document_to_data(doc)) == doc


def test_profile_problems_name_their_fields() -> None:
    bad = ErpProfile("", "sap-r3", "XX", "1", "", "EUR", "121000", {"time": "4000"},
                     numbering="theirs", concurrency=0, connection={})
    fields = {p.field for p in check_profile(bad, "erp.yaml: erp_profiles[0]", {"DE": "EUR"})}
    assert fields == {"system", "entity", "destination", "journal", "revenue_accounts.default",
                      "numbering", "concurrency", "connection.url"}
    assert check_profile(PROFILE, "p", {"DE": "EUR"}) == []


def test_journal_lines_balance_in_the_company_currency_and_keep_their_own() -> None:
    profile = replace(PROFILE, accounts={"1200": "121000", "4000": "400000", "2200": "2200"})
    # a CHF invoice of a EUR company at 1 CHF = 1.04 EUR (functional amounts signed)
    journal = {"memo": "Invoice DE-9", "posted_on": "2026-11-02", "postings": [
        {"account": "1200", "debit": "119.00", "credit": "0", "currency": "CHF",
         "functional_amount": "123.76"},
        {"account": "4000", "debit": "0", "credit": "100.00", "currency": "CHF",
         "functional_amount": "-104.00"},
        {"account": "2200", "debit": "0", "credit": "19.00", "currency": "CHF",
         "functional_amount": "-19.76"}]}
    doc = map_journal(profile, "invoice-issued:DE:DE-9", journal)
    assert not isinstance(doc, list)
    assert doc.currency == "EUR"
    assert sum(ln.debit for ln in doc.lines) == sum(ln.credit for ln in doc.lines)
    assert [(ln.account, ln.debit, ln.credit, ln.currency, ln.amount_currency)
            for ln in doc.lines] == [
        ("121000", Decimal("123.76"), 0, "CHF", Decimal("119.00")),
        ("400000", 0, Decimal("104.00"), "CHF", Decimal("-100.00")),
        ("2200", 0, Decimal("19.76"), "CHF", Decimal("-19.00"))]
    assert document_from_data(document_to_data(doc)) == doc
    unmapped = map_journal(PROFILE, "k", journal)
    assert isinstance(unmapped, list)
    assert [p.field for p in unmapped] == ["accounts.1200", "accounts.2200", "accounts.4000"]
