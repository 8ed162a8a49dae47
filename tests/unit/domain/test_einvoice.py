"""The e-invoice document and its mapping from the read side's record (no validator needed:
``tests/integration/test_einvoice.py`` checks the XML against XSD and EN 16931 rules)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.einvoice import DocumentKind, from_record, render_cii, render_ubl
from hourbridge.errors import Conflict

RECORD: dict[str, Any] = {
    "invoice": {"id": 1, "number": "DE-000001", "status": "posted", "entity": "DE",
                "contract": "K1", "customer": "ACME", "currency": "EUR", "period": "2026-02",
                "issue_date": "2026-03-02", "due_date": "2026-04-01", "net": "232.50",
                "tax_code": "standard", "tax_category": "S", "tax_exemption_code": None,
                "tax_rate": "0.19", "tax": "44.18", "total": "276.68", "tax_note": ""},
    "lines": [{"line_no": 2, "description": "P1 / DEV — analyst @ 90.00 EUR/h",
               "quantity_hours": "0.5", "rate": "90", "amount": "45.00"},
              {"line_no": 1, "description": "P1 / DEV — senior @ 150.00 EUR/h",
               "quantity_hours": "1.25", "rate": "150", "amount": "187.50"}],
    "entity": {"code": "DE", "name": "Beispiel Beratung GmbH", "country": "DE",
               "vat_id": "DE811000004"},
    "customer": {"id": "ACME", "name": "Acme AG", "country": "DE", "vat_id": "DE123456789",
                 "po_number": "4500001"},
    "credited_invoice": None,
}


def record(**invoice: Any) -> dict[str, Any]:
    out = copy.deepcopy(RECORD)
    out["invoice"].update(invoice)
    return out


def test_issued_invoice_maps_to_a_document() -> None:
    doc = from_record(RECORD)
    assert doc.kind is DocumentKind.INVOICE and doc.type_code == "380"
    assert [ln.id for ln in doc.lines] == ["1", "2"]
    assert [ln.vat_rate for ln in doc.lines] == [Decimal(19), Decimal(19)]
    assert (doc.period_start, doc.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert doc.purchase_order == "4500001" and doc.contract == "K1"
    assert doc.payment_terms == "Due on 2026-04-01, 30 days from the invoice date."
    assert doc.vat_breakdown[0].exemption_reason is None
    assert doc.seller.vat_id == "DE811000004" and doc.buyer.vat_id == "DE123456789"
    ubl, cii = render_ubl(doc).decode(), render_cii(doc).decode()
    assert ubl.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Invoice ')
    assert "<cbc:Percent>19</cbc:Percent>" in ubl and "E+" not in ubl
    assert "<ram:RateApplicablePercent>19</ram:RateApplicablePercent>" in cii


@pytest.mark.parametrize("status", ["draft", "held"])
def test_unissued_invoices_are_refused(status: str) -> None:
    with pytest.raises(Conflict, match="only issued invoices"):
        from_record(record(status=status, number=None))


def test_not_subject_to_vat_leaves_out_vat_ids_and_rates() -> None:
    doc = from_record(record(tax_category="O", tax_rate="0", tax="0.00", total="232.50",
                             tax_exemption_code="VATEX-EU-O", tax_note="Not subject."))
    assert doc.seller.vat_id is None and doc.buyer.vat_id is None  # BR-O-02
    assert {ln.vat_rate for ln in doc.lines} == {None}  # BR-O-05
    assert (doc.vat_breakdown[0].exemption_code, doc.vat_breakdown[0].rate) == (
        "VATEX-EU-O", None)


def test_exemption_reason_only_where_the_category_needs_it() -> None:
    exempt = from_record(record(tax_category="E", tax_rate="0", tax="0.00", total="232.50",
                                tax_exemption_code="VATEX-EU-132", tax_note="Exempt."))
    assert exempt.vat_breakdown[0].exemption_reason == "Exempt."
    zero = from_record(record(tax_category="Z", tax_rate="0", tax="0.00", total="232.50",
                              tax_exemption_code="VATEX-EU-132", tax_note="ignored"))
    assert zero.vat_breakdown[0].exemption_code is None  # BR-Z-10
    with pytest.raises(Conflict, match="needs an exemption reason"):
        from_record(record(tax_category="AE", tax_rate="0", tax="0.00", total="232.50"))


def test_figures_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(Conflict, match="BR-CO-15"):
        from_record(record(total="276.69"))
    with pytest.raises(Conflict, match="BR-CO-10"):
        from_record(record(net="232.49", total="276.67"))
    with pytest.raises(Conflict, match="no VAT category"):
        from_record(record(tax_category=None))
