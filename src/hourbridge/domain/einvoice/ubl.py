"""``EInvoice`` as an OASIS UBL 2.1 Invoice or CreditNote, per the EN 16931 UBL syntax binding
(CEN/TS 16931-3-2). Elements come in the order the UBL 2.1 schemas require."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import date

from .document import (
    EN16931,
    PEPPOL_BILLING_PROCESS,
    PEPPOL_BIS3,
    Attachment,
    DocumentKind,
    EInvoice,
    Line,
    Party,
    PaymentInstructions,
    VatBreakdown,
)
from .xml import decimal_text, default_namespace_root, iso, percent_text, serialize, sub

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)

# UN/ECE 5153 tax scheme of every VAT element (cac:TaxScheme/cbc:ID).
VAT = "VAT"


def _cac(parent: ET.Element, name: str) -> ET.Element:
    return sub(parent, f"{{{CAC}}}{name}")


def _cbc(parent: ET.Element, name: str, text: str, **attrs: str) -> ET.Element:
    return sub(parent, f"{{{CBC}}}{name}", text, **attrs)


def render_ubl(doc: EInvoice) -> bytes:
    """The UBL 2.1 document (UTF-8 bytes): ``Invoice``, or ``CreditNote`` for a credit note."""
    credit = doc.kind is DocumentKind.CREDIT_NOTE
    ns = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = default_namespace_root("CreditNote" if credit else "Invoice", ns)
    cur = {"currencyID": doc.currency}

    if doc.peppol:  # BT-24 and BT-23 of Peppol BIS Billing 3.0 (see EInvoice.peppol)
        _cbc(root, "CustomizationID", PEPPOL_BIS3)
        _cbc(root, "ProfileID", PEPPOL_BILLING_PROCESS)
    else:
        _cbc(root, "CustomizationID", EN16931)
    _cbc(root, "ID", doc.number)
    _cbc(root, "IssueDate", iso(doc.issue_date))
    # A UBL CreditNote has no cbc:DueDate: there BT-9 lives in cac:PaymentMeans (below)
    if doc.due_date is not None and not credit:
        _cbc(root, "DueDate", iso(doc.due_date))
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", doc.type_code)
    for note in doc.notes:
        _cbc(root, "Note", note)
    _cbc(root, "DocumentCurrencyCode", doc.currency)
    if doc.tax_currency is not None:
        _cbc(root, "TaxCurrencyCode", doc.tax_currency)  # BT-6
    if doc.buyer_reference:
        _cbc(root, "BuyerReference", doc.buyer_reference)  # BT-10
    if doc.period_start is not None or doc.period_end is not None:
        period = _cac(root, "InvoicePeriod")
        if doc.period_start is not None:
            _cbc(period, "StartDate", iso(doc.period_start))
        if doc.period_end is not None:
            _cbc(period, "EndDate", iso(doc.period_end))
    if doc.purchase_order:
        _cbc(_cac(root, "OrderReference"), "ID", doc.purchase_order)
    if doc.billing_reference is not None:
        ref = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(ref, "ID", doc.billing_reference.number)
        if doc.billing_reference.issue_date is not None:
            _cbc(ref, "IssueDate", iso(doc.billing_reference.issue_date))
    if doc.contract:
        _cbc(_cac(root, "ContractDocumentReference"), "ID", doc.contract)
    for attachment in doc.attachments:
        _attachment(_cac(root, "AdditionalDocumentReference"), attachment)
    _party(_cac(_cac(root, "AccountingSupplierParty"), "Party"), doc.seller, seller=True)
    _party(_cac(_cac(root, "AccountingCustomerParty"), "Party"), doc.buyer, seller=False)
    if doc.payment is not None:
        _payment_means(_cac(root, "PaymentMeans"), doc.payment,
                       doc.due_date if credit else None)
    if doc.payment_terms:
        _cbc(_cac(root, "PaymentTerms"), "Note", doc.payment_terms)

    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", decimal_text(doc.tax_total), **cur)
    for breakdown in doc.vat_breakdown:
        _subtotal(_cac(tax_total, "TaxSubtotal"), breakdown, cur)
    if doc.tax_currency is not None and doc.tax_total_accounting is not None:
        # BT-111: a second TaxTotal in the VAT accounting currency, without subtotals
        _cbc(_cac(root, "TaxTotal"), "TaxAmount", decimal_text(doc.tax_total_accounting),
             currencyID=doc.tax_currency)

    totals = _cac(root, "LegalMonetaryTotal")
    _cbc(totals, "LineExtensionAmount", decimal_text(doc.line_total), **cur)  # BT-106
    _cbc(totals, "TaxExclusiveAmount", decimal_text(doc.line_total), **cur)  # BT-109
    _cbc(totals, "TaxInclusiveAmount", decimal_text(doc.total), **cur)  # BT-112
    _cbc(totals, "PayableAmount", decimal_text(doc.total), **cur)  # BT-115

    for line in doc.lines:
        _line(_cac(root, "CreditNoteLine" if credit else "InvoiceLine"), line, credit, cur)
    return serialize(root)


def _payment_means(means: ET.Element, pay: PaymentInstructions, due: date | None) -> None:
    """BG-16; ``due`` is a credit note's BT-9, which UBL keeps here."""
    _cbc(means, "PaymentMeansCode", pay.means_code)  # BT-81
    if due is not None:
        _cbc(means, "PaymentDueDate", iso(due))
    if pay.remittance:
        _cbc(means, "PaymentID", pay.remittance)  # BT-83
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", pay.iban)  # BT-84
    if pay.account_name:
        _cbc(account, "Name", pay.account_name)  # BT-85
    if pay.bic:
        _cbc(_cac(account, "FinancialInstitutionBranch"), "ID", pay.bic)  # BT-86


def _attachment(ref: ET.Element, a: Attachment) -> None:
    """BG-24 as the UBL binding has it (CEN/TS 16931-3-2): cbc:ID (BT-122),
    cbc:DocumentDescription (BT-123), cac:Attachment/cbc:EmbeddedDocumentBinaryObject with
    @mimeCode and @filename (BT-125). Order per UBL-CommonAggregateComponents-2.1.xsd
    DocumentReferenceType (ID ... DocumentDescription, Attachment); the reference itself
    follows cac:ContractDocumentReference and precedes the parties in both UBL-Invoice-2.1
    and UBL-CreditNote-2.1. No cbc:DocumentTypeCode: code 130 would make it the invoiced
    object identifier (BT-18) instead of a supporting document."""
    _cbc(ref, "ID", a.id)
    if a.description:
        _cbc(ref, "DocumentDescription", a.description)
    _cbc(_cac(ref, "Attachment"), "EmbeddedDocumentBinaryObject",
         base64.b64encode(a.content).decode("ascii"), mimeCode=a.mime_code,
         filename=a.filename)


def _party(party: ET.Element, p: Party, *, seller: bool) -> None:
    if p.endpoint is not None:  # BT-34 / BT-49
        _cbc(party, "EndpointID", p.endpoint.id, schemeID=p.endpoint.scheme)
    address = _cac(party, "PostalAddress")
    if len(p.address.lines) > 0:
        _cbc(address, "StreetName", p.address.lines[0])
    if len(p.address.lines) > 1:
        _cbc(address, "AdditionalStreetName", p.address.lines[1])
    if p.address.city:
        _cbc(address, "CityName", p.address.city)
    if p.address.postcode:
        _cbc(address, "PostalZone", p.address.postcode)
    if p.address.subdivision:
        _cbc(address, "CountrySubentity", p.address.subdivision)
    if len(p.address.lines) > 2:
        _cbc(_cac(address, "AddressLine"), "Line", p.address.lines[2])
    _cbc(_cac(address, "Country"), "IdentificationCode", p.address.country)
    if p.vat_id:
        scheme = _cac(party, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", p.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", VAT)
    if seller and p.tax_registration_id:
        # BT-32: the binding's tax scheme other than VAT for the seller's tax number.
        scheme = _cac(party, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", p.tax_registration_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "FC")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", p.name)
    if p.legal_registration_id:
        _cbc(legal, "CompanyID", p.legal_registration_id)
    if p.contact is not None and (p.contact.name or p.contact.phone or p.contact.email):
        contact = _cac(party, "Contact")  # BG-6 / BG-9
        if p.contact.name:
            _cbc(contact, "Name", p.contact.name)
        if p.contact.phone:
            _cbc(contact, "Telephone", p.contact.phone)
        if p.contact.email:
            _cbc(contact, "ElectronicMail", p.contact.email)


def _subtotal(subtotal: ET.Element, b: VatBreakdown, cur: dict[str, str]) -> None:
    _cbc(subtotal, "TaxableAmount", decimal_text(b.taxable_amount), **cur)
    _cbc(subtotal, "TaxAmount", decimal_text(b.tax_amount), **cur)
    category = _cac(subtotal, "TaxCategory")
    _cbc(category, "ID", b.category)
    if b.rate is not None:
        _cbc(category, "Percent", percent_text(b.rate))
    if b.exemption_code:
        _cbc(category, "TaxExemptionReasonCode", b.exemption_code)
    if b.exemption_reason:
        _cbc(category, "TaxExemptionReason", b.exemption_reason)
    _cbc(_cac(category, "TaxScheme"), "ID", VAT)


def _line(el: ET.Element, line: Line, credit: bool, cur: dict[str, str]) -> None:
    _cbc(el, "ID", line.id)
    _cbc(el, "CreditedQuantity" if credit else "InvoicedQuantity",
         decimal_text(line.quantity), unitCode=line.unit)
    _cbc(el, "LineExtensionAmount", decimal_text(line.net_amount), **cur)
    item = _cac(el, "Item")
    if line.description:
        _cbc(item, "Description", line.description)
    _cbc(item, "Name", line.name)
    category = _cac(item, "ClassifiedTaxCategory")
    _cbc(category, "ID", line.vat_category)
    if line.vat_rate is not None:
        _cbc(category, "Percent", percent_text(line.vat_rate))
    _cbc(_cac(category, "TaxScheme"), "ID", VAT)
    _cbc(_cac(el, "Price"), "PriceAmount", decimal_text(line.net_price), **cur)
