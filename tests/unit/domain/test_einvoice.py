"""The e-invoice document and its mapping from the read side's record (no validator needed:
``tests/integration/test_einvoice.py`` checks the XML against XSD and EN 16931 rules)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.domain.einvoice import (
    DocumentKind,
    freeze_document,
    from_record,
    render_cii,
    render_ubl,
)
from hourbridge.domain.model import Contract, Customer, LegalEntity
from hourbridge.domain.parties import BankAccount, PaymentTerms, PostalAddress
from hourbridge.errors import Conflict

RECORD: dict[str, Any] = {
    "invoice": {"id": 1, "number": "DE-000001", "status": "posted", "entity": "DE",
                "contract": "K1", "customer": "ACME", "currency": "EUR", "period": "2026-02",
                "issue_date": "2026-03-02", "due_date": "2026-04-01", "net": "232.50",
                "tax_code": "standard", "tax_category": "S", "tax_exemption_code": None,
                "tax_rate": "0.19", "tax": "44.18", "total": "276.68", "tax_note": "",
                "snapshot": {
                    "version": 1,
                    "seller": {"name": "Beispiel Beratung GmbH", "country": "DE",
                               "vat_id": "DE811000004", "legal_registration_id": None,
                               "tax_registration_id": None, "address": None,
                               "electronic_address": None, "contact": None},
                    "buyer": {"name": "Acme AG", "country": "DE", "vat_id": "DE123456789",
                              "legal_registration_id": None, "tax_registration_id": None,
                              "address": None, "electronic_address": None,
                              "contact": None},
                    "bank_account": None, "payment_terms": None, "payment_terms_days": 30,
                    "due_date": "2026-04-01", "fx_rate": None, "functional_currency": "EUR",
                    "buyer_reference": None, "purchase_order": "4500001"}},
    "lines": [{"line_no": 2, "description": "P1 / DEV — analyst @ 90.00 EUR/h",
               "quantity_hours": "0.5", "rate": "90", "amount": "45.00"},
              {"line_no": 1, "description": "P1 / DEV — senior @ 150.00 EUR/h",
               "quantity_hours": "1.25", "rate": "150", "amount": "187.50"}],
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


# --- party and payment data from the snapshot ---------------------------------------------
PEPPOL_SNAPSHOT = {
    "seller": {**RECORD["invoice"]["snapshot"]["seller"],
               "address": {"country": "DE", "lines": ["Neue Mainzer Straße 52"],
                           "city": "Frankfurt am Main", "postal_code": "60311",
                           "subdivision": "Hessen"},
               "electronic_address": {"scheme": "9930", "id": "DE811000004"},
               "contact": {"name": "Debitoren", "email": "ar@example.com", "phone": None}},
    "buyer": {**RECORD["invoice"]["snapshot"]["buyer"],
              "address": {"country": "DE", "lines": ["Rheinallee 12", "Gebäude B"],
                          "city": "Düsseldorf", "postal_code": "40221", "subdivision": None},
              "electronic_address": {"scheme": "0088", "id": "4000001000005"}},
    "bank_account": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
                     "name": "Beispiel Beratung GmbH"},
    "payment_terms": "Payable without deduction.",
    "buyer_reference": "CC-4711",
}


def peppol_record(**invoice: Any) -> dict[str, Any]:
    out = record(**invoice)
    out["invoice"]["snapshot"].update(copy.deepcopy(PEPPOL_SNAPSHOT))
    return out


def test_snapshot_parties_payment_and_references_reach_both_syntaxes() -> None:
    doc = from_record(peppol_record())
    assert doc.peppol and doc.buyer_reference == "CC-4711"
    assert doc.payment is not None and (doc.payment.means_code, doc.payment.iban) == (
        "58", "DE89370400440532013000")  # a euro invoice: SEPA credit transfer
    assert doc.payment.remittance == "DE-000001"
    assert doc.payment_terms == ("Due on 2026-04-01, 30 days from the invoice date. "
                                 "Payable without deduction.")
    assert doc.buyer.address.lines == ("Rheinallee 12", "Gebäude B")
    ubl, cii = render_ubl(doc).decode(), render_cii(doc).decode()
    assert ("<cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:"
            "poacc:billing:3.0</cbc:CustomizationID>") in ubl
    assert "<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>" in ubl
    assert '<cbc:EndpointID schemeID="0088">4000001000005</cbc:EndpointID>' in ubl
    assert "<cbc:BuyerReference>CC-4711</cbc:BuyerReference>" in ubl
    assert "<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>" in ubl
    assert "<cbc:StreetName>Rheinallee 12</cbc:StreetName>" in ubl
    assert "<cbc:ElectronicMail>ar@example.com</cbc:ElectronicMail>" in ubl
    assert '<ram:URIID schemeID="9930">DE811000004</ram:URIID>' in cii
    assert "<ram:IBANID>DE89370400440532013000</ram:IBANID>" in cii
    assert "<ram:BuyerReference>CC-4711</ram:BuyerReference>" in cii
    assert "<ram:CityName>Düsseldorf</ram:CityName>" in cii


def test_without_endpoints_the_ubl_claims_only_en16931() -> None:
    doc = from_record(record())
    assert not doc.peppol and doc.payment is None
    ubl = render_ubl(doc).decode()
    assert "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>" in ubl
    assert "ProfileID" not in ubl and "EndpointID" not in ubl


def test_credit_note_states_its_due_date_in_the_payment_means() -> None:
    note = from_record(peppol_record(kind="credit_note", due_date="2026-03-02"))
    ubl = render_ubl(note).decode()
    assert "<cbc:PaymentDueDate>2026-03-02</cbc:PaymentDueDate>" in ubl
    assert "<cbc:DueDate>" not in ubl


def test_an_invoice_without_snapshot_is_refused() -> None:
    with pytest.raises(Conflict, match="no snapshot"):
        from_record(record(snapshot=None))


def test_freeze_document_picks_the_account_of_the_currency_and_the_terms() -> None:
    entity = LegalEntity(
        "DE", "Beispiel Beratung GmbH", "DE", "EUR", "DE", vat_id="DE811000004",
        bank_accounts=(BankAccount("DE89370400440532013000"),
                       BankAccount("CH9300762011623852957", currency="CHF")),
        payment_terms=PaymentTerms(21, "Net 21."))
    customer = Customer("ZUR", "Zurlinden AG", "DE", "CHF", "CH", po_number="PO-7",
                        address=PostalAddress("CH", ("Hardturmstrasse 101",), "Zürich", "8005"))
    contract = Contract("K9", "ZUR", "DE", "CHF", date(2026, 1, 1), buyer_reference="R-1")
    snap = freeze_document(entity, customer, contract, currency="CHF",
                           due_date=date(2026, 3, 22), fx_rate=Decimal("1.0612"))
    assert snap["bank_account"]["iban"] == "CH9300762011623852957"
    assert (snap["payment_terms"], snap["payment_terms_days"]) == ("Net 21.", 21)
    assert (snap["buyer_reference"], snap["purchase_order"]) == ("R-1", "PO-7")
    assert snap["buyer"]["address"]["lines"] == ["Hardturmstrasse 101"]
    assert (snap["fx_rate"], snap["functional_currency"]) == ("1.0612", "EUR")
    euro = freeze_document(entity, customer, contract, currency="EUR",
                           due_date=date(2026, 3, 22), fx_rate=None)
    assert euro["bank_account"]["iban"] == "DE89370400440532013000"  # the one for any currency
    own_terms = freeze_document(entity, Customer("X", "X", "DE", "EUR", "DE",
                                                 payment_terms_days=7), contract,
                                currency="EUR", due_date=date(2026, 3, 8), fx_rate=None)
    assert own_terms["payment_terms_days"] == 7
