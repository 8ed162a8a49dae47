"""External billing document requests into SAP S/4HANA Cloud: the inbound SOAP service
``BillingDocumentRequest_In`` (communication scenario SAP_COM_0176, "External Billing Document
Request Integration"), which is how an outside system creates one. The OData service
``API_BILLING_DOCUMENT_REQUEST_SRV`` only reads, rejects and deletes requests
(``billingDocumentRequest.read.v2.response.json``, CONNECTORS.md section 4), so a request is
made here and read back there.

The service is **asynchronous**: it answers 202 Accepted with no body, and a request it
cannot take shows only in SAP's message monitor (a public SAP community question on
``BILLINGDOCUMENTREQUEST_IN`` reports both). Hence the sink never trusts the answer: it reads
the request back by its reference (``PurchaseOrderByCustomer``, as the read sample shows the
hub's reference there) before creating and after.

Inferred (not in the samples; check in a sandbox): the endpoint path (the SOAP runtime's
``/sap/bc/srt/scs_ext/sap/`` pattern of the journal-entry service), the namespace
``http://sap.com/xi/SD-BIL`` and the element names ``MessageHeader``, ``GlobalParameters/
ReferenceDocumentLogicalSystem``, ``BillableDocument/ReferenceDocument``,
``BillableDocumentItem`` with ``BillingDocumentDate``, ``SalesDocumentType``,
``SalesDocumentItemCategory`` (from that community question), and the item fields below it
(``SoldToParty``, ``Product``, ``BillingQuantity``, ``PricingElement`` with condition type
``PPR0``, ``ProjectReference`` for the ERP's own project): the tenant's configuration
decides them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from hourbridge.domain.erp import ErpDocument

PATH = "/sap/bc/srt/scs_ext/sap/billingdocumentrequest_in"
SDBIL = "http://sap.com/xi/SD-BIL"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ACTION = f"{SDBIL}/BillingDocumentRequest_In/BillingDocumentRequest_InRequest"
SYSTEM = "HOURBRIDGE"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def request_envelope(doc: ErpDocument, reference: str, sold_to: str,
                     settings: Mapping[str, str], now: datetime | None = None) -> bytes:
    """The billing data of ``doc`` as one billable document of one item per line, each
    priced by its own amount (quantity x rate equals the line's amount to the cent:
    ``domain.erp.map_invoice`` makes it so)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.Element(f"{{{ENV}}}Envelope")
    ET.SubElement(root, f"{{{ENV}}}Header")
    body = _add(ET.SubElement(root, f"{{{ENV}}}Body"), f"{{{SDBIL}}}BillingDocumentRequest")
    head = _add(body, "MessageHeader")
    _add(head, "ID", reference)
    _add(head, "CreationDateTime", stamp)
    _add(_add(body, "GlobalParameters"), "ReferenceDocumentLogicalSystem", SYSTEM)
    billable = _add(body, "BillableDocument")
    _add(billable, "ReferenceDocument", reference)
    credit = doc.kind == "credit_note"
    for n, ln in enumerate(doc.lines, 1):
        item = _add(billable, "BillableDocumentItem")
        for tag, text in (
                ("ReferenceDocumentItem", str(n * 10)),
                ("BillingDocumentDate", doc.date.isoformat()),
                ("SalesDocumentType", settings.get("credit_request_type", "EOX2") if credit
                 else settings.get("request_type", "EOX1")),
                ("SalesDocumentItemCategory", settings.get("request_item_category", "EDX1")),
                ("SalesOrganization", settings.get("sales_organization", doc.company)),
                ("DistributionChannel", settings.get("distribution_channel", "10")),
                ("Division", settings.get("division", "00")),
                ("SoldToParty", sold_to),
                ("PurchaseOrderByCustomer", reference),
                ("Product", ln.item or settings.get("product", "SERVICE")),
                ("BillingDocumentItemText", ln.description[:40]),
                ("ProjectReference", ln.project or "")):
            if text:
                _add(item, tag, text)
        _add(item, "BillingQuantity", f"{ln.quantity}", unitCode="H")
        price = _add(item, "PricingElement")
        _add(price, "ConditionType", settings.get("price_condition", "PPR0"))
        _add(price, "ConditionRateValue", f"{ln.unit_price}")
        _add(price, "ConditionCurrency", doc.currency)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
