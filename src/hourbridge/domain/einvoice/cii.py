"""``EInvoice`` as a UN/CEFACT Cross Industry Invoice (D16B), the syntax of Factur-X and
ZUGFeRD, in the EN 16931 profile (guideline ``urn:cen.eu:en16931:2017``, CEN/TS 16931-3-3).
Elements come in the order the Factur-X EN 16931 schema requires."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from .document import (
    EN16931,
    Attachment,
    EInvoice,
    Line,
    Party,
    PaymentInstructions,
    VatBreakdown,
)
from .xml import compact, decimal_text, percent_text, serialize, sub

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
for _prefix, _uri in (("rsm", RSM), ("ram", RAM), ("udt", UDT), ("qdt", QDT)):
    ET.register_namespace(_prefix, _uri)

# UN/ECE 5153 duty or tax type of every ApplicableTradeTax.
VAT = "VAT"
# Scheme of a tax registration (ram:SpecifiedTaxRegistration/ram:ID/@schemeID): "VA" a VAT
# id (BT-31 / BT-48), "FC" a national tax number (BT-32).
VAT_SCHEME, TAX_NUMBER_SCHEME = "VA", "FC"


def _ram(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    return sub(parent, f"{{{RAM}}}{name}", text, **attrs)


def _date(parent: ET.Element, name: str, day_text: str, *, qualified: bool = False) -> None:
    holder = _ram(parent, name)
    ns = QDT if qualified else UDT
    sub(holder, f"{{{ns}}}DateTimeString", day_text, format="102")


def render_cii(doc: EInvoice) -> bytes:
    """The CrossIndustryInvoice (UTF-8 bytes); a credit note is TypeCode 381."""
    root = ET.Element(f"{{{RSM}}}CrossIndustryInvoice")
    context = sub(root, f"{{{RSM}}}ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)

    header = sub(root, f"{{{RSM}}}ExchangedDocument")
    _ram(header, "ID", doc.number)
    _ram(header, "TypeCode", doc.type_code)
    _date(header, "IssueDateTime", compact(doc.issue_date))
    for note in doc.notes:
        _ram(_ram(header, "IncludedNote"), "Content", note)

    transaction = sub(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(_ram(transaction, "IncludedSupplyChainTradeLineItem"), line)

    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    if doc.buyer_reference:
        _ram(agreement, "BuyerReference", doc.buyer_reference)  # BT-10
    _party(_ram(agreement, "SellerTradeParty"), doc.seller, seller=True)
    _party(_ram(agreement, "BuyerTradeParty"), doc.buyer, seller=False)
    if doc.purchase_order:
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID",
             doc.purchase_order)
    if doc.contract:
        _ram(_ram(agreement, "ContractReferencedDocument"), "IssuerAssignedID", doc.contract)
    for attachment in doc.attachments:
        _attachment(_ram(agreement, "AdditionalReferencedDocument"), attachment)

    # Delivery information (BG-13) is optional in EN 16931 but the element is not in CII;
    # the time the invoice covers is the invoicing period (BG-14) in the settlement.
    _ram(transaction, "ApplicableHeaderTradeDelivery")

    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    if doc.payment is not None and doc.payment.remittance:
        _ram(settlement, "PaymentReference", doc.payment.remittance)  # BT-83
    if doc.tax_currency is not None:
        _ram(settlement, "TaxCurrencyCode", doc.tax_currency)  # BT-6
    _ram(settlement, "InvoiceCurrencyCode", doc.currency)
    if doc.payment is not None:
        _payment_means(_ram(settlement, "SpecifiedTradeSettlementPaymentMeans"), doc.payment)
    for breakdown in doc.vat_breakdown:
        _breakdown(_ram(settlement, "ApplicableTradeTax"), breakdown)
    if doc.period_start is not None or doc.period_end is not None:
        period = _ram(settlement, "BillingSpecifiedPeriod")
        if doc.period_start is not None:
            _date(period, "StartDateTime", compact(doc.period_start))
        if doc.period_end is not None:
            _date(period, "EndDateTime", compact(doc.period_end))
    if doc.payment_terms or doc.due_date is not None:
        terms = _ram(settlement, "SpecifiedTradePaymentTerms")
        if doc.payment_terms:
            _ram(terms, "Description", doc.payment_terms)
        if doc.due_date is not None:
            _date(terms, "DueDateDateTime", compact(doc.due_date))
    totals = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(totals, "LineTotalAmount", decimal_text(doc.line_total))  # BT-106
    _ram(totals, "TaxBasisTotalAmount", decimal_text(doc.line_total))  # BT-109
    # BT-110 is the only amount with its currency in CII (it says which currency VAT is in).
    _ram(totals, "TaxTotalAmount", decimal_text(doc.tax_total), currencyID=doc.currency)
    if doc.tax_currency is not None and doc.tax_total_accounting is not None:  # BT-111
        _ram(totals, "TaxTotalAmount", decimal_text(doc.tax_total_accounting),
             currencyID=doc.tax_currency)
    _ram(totals, "GrandTotalAmount", decimal_text(doc.total))  # BT-112
    _ram(totals, "DuePayableAmount", decimal_text(doc.total))  # BT-115
    if doc.billing_reference is not None:
        ref = _ram(settlement, "InvoiceReferencedDocument")
        _ram(ref, "IssuerAssignedID", doc.billing_reference.number)
        if doc.billing_reference.issue_date is not None:
            _date(ref, "FormattedIssueDateTime", compact(doc.billing_reference.issue_date),
                  qualified=True)
    return serialize(root)


def _payment_means(means: ET.Element, pay: PaymentInstructions) -> None:
    _ram(means, "TypeCode", pay.means_code)  # BT-81
    account = _ram(means, "PayeePartyCreditorFinancialAccount")
    _ram(account, "IBANID", pay.iban)  # BT-84
    if pay.account_name:
        _ram(account, "AccountName", pay.account_name)  # BT-85
    if pay.bic:
        _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", pay.bic)


# UNTDID 1001 916 "related document": the type code the EN 16931 CII binding gives an
# additional supporting document (BG-24); 50 (tender or lot, BT-17) and 130 (invoiced object,
# BT-18) would make it another business term.
SUPPORTING_DOCUMENT = "916"


def _attachment(ref: ET.Element, a: Attachment) -> None:
    """BG-24 as the CII binding has it (CEN/TS 16931-3-3): ram:AdditionalReferencedDocument
    in the header trade agreement, after ram:ContractReferencedDocument (Factur-X EN 16931
    XSD, HeaderTradeAgreementType), holding ram:IssuerAssignedID (BT-122), ram:TypeCode 916,
    ram:Name (BT-123) and ram:AttachmentBinaryObject with @mimeCode and @filename (BT-125),
    in the order of ReferencedDocumentType."""
    _ram(ref, "IssuerAssignedID", a.id)
    _ram(ref, "TypeCode", SUPPORTING_DOCUMENT)
    if a.description:
        _ram(ref, "Name", a.description)
    _ram(ref, "AttachmentBinaryObject", base64.b64encode(a.content).decode("ascii"),
         mimeCode=a.mime_code, filename=a.filename)


def _party(party: ET.Element, p: Party, *, seller: bool) -> None:
    _ram(party, "Name", p.name)
    if p.legal_registration_id:
        _ram(_ram(party, "SpecifiedLegalOrganization"), "ID", p.legal_registration_id)
    if p.contact is not None and (p.contact.name or p.contact.phone or p.contact.email):
        contact = _ram(party, "DefinedTradeContact")  # BG-6 / BG-9
        if p.contact.name:
            _ram(contact, "PersonName", p.contact.name)
        if p.contact.phone:
            _ram(_ram(contact, "TelephoneUniversalCommunication"), "CompleteNumber",
                 p.contact.phone)
        if p.contact.email:
            _ram(_ram(contact, "EmailURIUniversalCommunication"), "URIID", p.contact.email)
    address = _ram(party, "PostalTradeAddress")
    if p.address.postcode:
        _ram(address, "PostcodeCode", p.address.postcode)
    for name, text in zip(("LineOne", "LineTwo", "LineThree"), p.address.lines, strict=False):
        _ram(address, name, text)
    if p.address.city:
        _ram(address, "CityName", p.address.city)
    _ram(address, "CountryID", p.address.country)
    if p.address.subdivision:
        _ram(address, "CountrySubDivisionName", p.address.subdivision)
    if p.endpoint is not None:  # BT-34 / BT-49
        _ram(_ram(party, "URIUniversalCommunication"), "URIID", p.endpoint.id,
             schemeID=p.endpoint.scheme)
    if p.vat_id:
        _ram(_ram(party, "SpecifiedTaxRegistration"), "ID", p.vat_id, schemeID=VAT_SCHEME)
    if seller and p.tax_registration_id:
        _ram(_ram(party, "SpecifiedTaxRegistration"), "ID", p.tax_registration_id,
             schemeID=TAX_NUMBER_SCHEME)


def _breakdown(tax: ET.Element, b: VatBreakdown) -> None:
    _ram(tax, "CalculatedAmount", decimal_text(b.tax_amount))
    _ram(tax, "TypeCode", VAT)
    if b.exemption_reason:
        _ram(tax, "ExemptionReason", b.exemption_reason)
    _ram(tax, "BasisAmount", decimal_text(b.taxable_amount))
    _ram(tax, "CategoryCode", b.category)
    if b.exemption_code:
        _ram(tax, "ExemptionReasonCode", b.exemption_code)
    if b.rate is not None:
        _ram(tax, "RateApplicablePercent", percent_text(b.rate))


def _line(item: ET.Element, line: Line) -> None:
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", line.id)
    product = _ram(item, "SpecifiedTradeProduct")
    _ram(product, "Name", line.name)
    if line.description:
        _ram(product, "Description", line.description)
    price = _ram(_ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
    _ram(price, "ChargeAmount", decimal_text(line.net_price))
    _ram(_ram(item, "SpecifiedLineTradeDelivery"), "BilledQuantity",
         decimal_text(line.quantity), unitCode=line.unit)
    settlement = _ram(item, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", VAT)
    _ram(tax, "CategoryCode", line.vat_category)
    if line.vat_rate is not None:
        _ram(tax, "RateApplicablePercent", percent_text(line.vat_rate))
    _ram(_ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), "LineTotalAmount",
         decimal_text(line.net_amount))
