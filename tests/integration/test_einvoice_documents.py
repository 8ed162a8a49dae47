"""EN 16931 e-invoices built directly as documents, not through the flow, checked by the
official artefacts (``support.einvoice``): the rules catch a missing seller VAT id and a
wrong total; a credit note is a UBL ``CreditNote`` and CII type 381 naming its invoice, and
the read side's record of one becomes one. The flow's own invoices: ``test_einvoice.py``."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.einvoice import (
    Address,
    DocumentKind,
    EInvoice,
    InvoiceReference,
    Line,
    Party,
    VatBreakdown,
    from_record,
    render_cii,
    render_ubl,
)
from hourbridge.errors import Conflict
from support.einvoice import Validator, check, text

FORMATS = ("ubl", "cii")


def seller(vat_id: str | None = "DE811000004") -> Party:
    return Party("Beispiel Beratung GmbH", Address("DE"), vat_id=vat_id)


def document(**changes: Any) -> EInvoice:
    lines = (Line("1", "P1 / DEV — senior @ 150.00 EUR/h", Decimal("1.25"), Decimal("150"),
                  Decimal("187.50"), "S", Decimal(19)),
             Line("2", "P1 / DEV — analyst @ 90.00 EUR/h", Decimal("0.5"), Decimal("90"),
                  Decimal("45.00"), "S", Decimal(19)))
    fields: dict[str, Any] = dict(
        number="DE-000001", issue_date=date(2026, 11, 2), currency="EUR", seller=seller(),
        buyer=Party("Acme AG", Address("DE"), vat_id="DE123456789"), lines=lines,
        vat_breakdown=(VatBreakdown("S", Decimal(19), Decimal("232.50"), Decimal("44.18")),),
        line_total=Decimal("232.50"), tax_total=Decimal("44.18"), total=Decimal("276.68"),
        due_date=date(2026, 11, 16), payment_terms="Due on 2026-11-16.")
    fields.update(changes)
    return EInvoice(**fields)


@pytest.mark.parametrize("render", [render_ubl, render_cii], ids=FORMATS)
def test_the_rules_catch_a_missing_seller_vat_id_and_a_wrong_total(
        validator: Validator, render: Any) -> None:
    check(validator.validate(render(document())))
    assert "BR-S-02" in validator.validate(render(document(seller=seller(None)))).failed_ids
    wrong = render(document()).replace(b">276.68<", b">276.69<")
    assert {"BR-CO-15"} <= validator.validate(wrong).failed_ids


# --- credit notes --------------------------------------------------------------------------
CREDITED = InvoiceReference("DE-000001", date(2026, 11, 2))


@pytest.mark.parametrize("render", [render_ubl, render_cii], ids=FORMATS)
def test_credit_note_is_a_ubl_credit_note_and_cii_381_with_its_invoice(
        validator: Validator, render: Any) -> None:
    note = document(number="DE-000002", kind=DocumentKind.CREDIT_NOTE,
                    billing_reference=CREDITED, notes=("Hours of 2026-08-20 were billed twice.",))
    xml = render(note)
    check(validator.validate(xml))
    root = ET.fromstring(xml)
    if render is render_ubl:
        assert root.tag.endswith("}CreditNote")
        assert text(xml, "cbc:CreditNoteTypeCode") == ["381"]
        assert text(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == [
            "DE-000001"]
        assert text(xml, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["1.25", "0.5"]
    else:
        assert text(xml, "rsm:ExchangedDocument/ram:TypeCode") == ["381"]
        assert text(xml, "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
                         "ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["DE-000001"]


def test_credit_note_record_from_the_read_side_becomes_a_credit_note(
        validator: Validator) -> None:
    """When the invoices table has ``kind`` and ``credits``, the read side adds the credited
    invoice; a store keeping credits negative is turned to EN 16931's positive amounts."""
    record: dict[str, Any] = {
        "invoice": {"id": 7, "kind": "credit_note", "credits": 1, "reason": "Billed twice.",
                    "number": "DE-000002", "status": "issued", "entity": "DE",
                    "contract": "K1", "customer": "ACME", "currency": "EUR",
                    "period": "2026-08", "issue_date": "2026-11-20",
                    "due_date": "2026-11-20", "net": "-45.00", "tax_code": "standard",
                    "tax_category": "S", "tax_exemption_code": None, "tax_rate": "0.19",
                    "tax": "-8.55", "total": "-53.55", "tax_note": "",
                    "snapshot": {
                        "version": 1, "functional_currency": "EUR",
                        "seller": {"name": "Beispiel Beratung GmbH", "country": "DE",
                                   "vat_id": "DE811000004"},
                        "buyer": {"name": "Acme AG", "country": "DE",
                                  "vat_id": "DE123456789"},
                        "due_date": "2026-11-20", "purchase_order": None}},
        "lines": [{"line_no": 1, "description": "P1 / DEV — analyst @ 90.00 EUR/h",
                   "quantity_hours": "-0.5", "rate": "90", "amount": "-45.00"}],
        "credited_invoice": {"number": "DE-000001", "issue_date": "2026-11-02"},
    }
    note = from_record(record)
    assert note.kind is DocumentKind.CREDIT_NOTE and note.billing_reference == CREDITED
    assert (note.line_total, note.tax_total, note.total) == (
        Decimal("45.00"), Decimal("8.55"), Decimal("53.55"))
    assert note.lines[0].quantity == Decimal("0.5") and note.notes == ("Billed twice.",)
    for render in (render_ubl, render_cii):
        check(validator.validate(render(note)))
    record["invoice"] = {**record["invoice"], "status": "draft", "number": None}
    with pytest.raises(Conflict, match="only issued invoices"):
        from_record(record)
