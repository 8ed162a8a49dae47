"""The SOAP side of the SAP S/4HANA Cloud imitation (``support.sap``): the synchronous
journal entry service ``JournalEntryCreateRequestConfirmation_In`` (posts, or answers HTTP
200 with AccountingDocument 0000000000 and a Log of severity 3) and the asynchronous
``BillingDocumentRequest_In`` (202 with no body whatever comes of it; a refusal only noted
in the message monitor). A body that is not a SOAP envelope gets a SOAP Fault (HTTP 500).
What each follows: ``support.sap``'s docstring."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from .erp_server import Reply, Request

if TYPE_CHECKING:
    from .sap import Sap

SOAP_PATH = "/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi"
BDR_PATH = "/sap/bc/srt/scs_ext/sap/billingdocumentrequest_in"
SDBIL = "http://sap.com/xi/SD-BIL"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SFIN = "http://sap.com/xi/SAPSCORE/SFIN"


def billing_request(sap: Sap, request: Request) -> Reply:
    """``BillingDocumentRequest_In``: a request stored in ``sap.billing_requests`` (hidden
    from ``sap.request_delay_reads`` reads), or refused; either way only the monitor says."""
    try:
        root = ET.fromstring(request.body)
        billable = root.find(f"{{{ENV}}}Body/{{{SDBIL}}}BillingDocumentRequest/"
                             "BillableDocument")
        if billable is None:
            raise ET.ParseError("no BillableDocument")
    except ET.ParseError as exc:
        return _fault(str(exc))
    items = billable.findall("BillableDocumentItem")
    first = items[0] if items else ET.Element("none")
    ref, sold_to = first.findtext("PurchaseOrderByCustomer"), first.findtext("SoldToParty")
    net = sum((Decimal(i.findtext("BillingQuantity") or "0")
               * Decimal(i.findtext("PricingElement/ConditionRateValue") or "0")
               for i in items), Decimal(0))
    if not items:
        sap.monitor.append("Enter at least one billable item")
    elif sold_to not in {p["BusinessPartner"] for p in sap.partners} | {"10100001"}:
        sap.monitor.append(f"V1/112 Sold-to party {sold_to} not maintained for sales area "
                           f"{first.findtext('SalesOrganization')}")
    elif any(r["PurchaseOrderByCustomer"] == ref for r in sap.billing_requests):
        sap.monitor.append(f"Reference {ref} already has a billing document request")
    else:
        number = sap.add_billing_request(
            str(ref), net, first.findtext("PricingElement/ConditionCurrency") or "",
            str(sold_to))
        sap.billing_requests[-1].update(
            _hidden=sap.request_delay_reads,
            SalesOrganization=first.findtext("SalesOrganization") or "1010",
            _items=[{"Product": i.findtext("Product"),
                     "ProjectReference": i.findtext("ProjectReference"),
                     "Text": i.findtext("BillingDocumentItemText")} for i in items])
        sap.monitor.append(f"Billing document request {number} created for {ref}")
    return Reply(202, "", {"Content-Type": "text/xml"})

def journal_entry(sap: Sap, request: Request) -> Reply:
    """``JournalEntryCreateRequestConfirmation_In``: posted into ``sap.journal_entries``, or
    refused in the confirmation's Log (HTTP 200 all the same, as SAP answers)."""
    try:
        root = ET.fromstring(request.body)
        entry = root.find(f"{{{ENV}}}Body/{{{SFIN}}}JournalEntryBulkCreateRequest/"
                          "JournalEntryCreateRequest/JournalEntry")
        if entry is None:
            raise ET.ParseError("no JournalEntry")
    except ET.ParseError as exc:
        return _fault(str(exc))

    def text(node: ET.Element, tag: str) -> str:
        found = node.find(tag)
        return (found.text or "") if found is not None else ""

    company = text(entry, "CompanyCode")
    notes = []
    items = []
    if company not in sap.company_codes:
        notes.append(f"Company code {company} does not exist")
    total = Decimal(0)
    for item in entry.iterfind("Item"):
        account, code = text(item, "GLAccount"), text(item, "DebitCreditCode")
        amount = Decimal(text(item, "AmountInTransactionCurrency"))
        if account not in sap.gl_accounts:
            notes.append(f"Account {account} does not exist in company code {company}")
        if (code == "S") != (amount > 0) or code not in ("S", "H"):
            notes.append(f"Amount {amount} does not match debit/credit code {code}")
        total += amount
        cur = item.find("AmountInTransactionCurrency")
        items.append({"GLAccount": account, "DebitCreditCode": code,
                      "AmountInTransactionCurrency": str(amount),
                      "TransactionCurrency": cur.get("currencyCode") if cur is not None
                      else "", "DocumentItemText": text(item, "DocumentItemText")})
    if not items:
        notes.append("Enter at least one line item")
    if total != 0:
        notes.append(f"Balance in transaction currency is {total}; the document is not "
                     "balanced")
    if notes:
        number, year, severity = "0000000000", "0000", "3"
    else:
        number = f"{100000000 + next(sap._ids):010d}"
        year, severity = text(entry, "PostingDate")[:4], "1"
        notes = [f"Document posted successfully: BKPFF {number} {company}{year}"]
        sap.journal_entries.append({
            "CompanyCode": company, "FiscalYear": year, "AccountingDocument": number,
            "DocumentReferenceID": text(entry, "DocumentReferenceID"),
            "PostingDate": text(entry, "PostingDate"), "items": items})
    log = "".join(f"<Item><SeverityCode>{severity}</SeverityCode><Note>{n}</Note></Item>"
                  for n in notes)
    body = (f'<soap-env:Envelope xmlns:soap-env="{ENV}"><soap-env:Body>'
            f'<n0:JournalEntryBulkCreateConfirmation xmlns:n0="{SFIN}">'
            "<JournalEntryCreateConfirmation><JournalEntryCreateConfirmation>"
            f"<AccountingDocument>{number}</AccountingDocument><CompanyCode>{company}"
            f"</CompanyCode><FiscalYear>{year}</FiscalYear></JournalEntryCreateConfirmation>"
            f"<Log><MaximumLogItemSeverityCode>{severity}</MaximumLogItemSeverityCode>{log}"
            "</Log></JournalEntryCreateConfirmation></n0:JournalEntryBulkCreateConfirmation>"
            "</soap-env:Body></soap-env:Envelope>")
    return Reply(200, body, {"Content-Type": "text/xml; charset=utf-8"})


def _fault(message: str) -> Reply:
    fault = (f'<soap-env:Envelope xmlns:soap-env="{ENV}"><soap-env:Body><soap-env:Fault>'
             f"<faultcode>soap-env:Client</faultcode><faultstring>{message}</faultstring>"
             "</soap-env:Fault></soap-env:Body></soap-env:Envelope>")
    return Reply(500, fault, {"Content-Type": "text/xml"})
