"""Journal entries into SAP S/4HANA Cloud through the synchronous SOAP service
``JournalEntryCreateRequestConfirmation_In`` (communication scenario SAP_COM_0002): the
envelope built with the standard library's ``xml.etree``, the confirmation read back.

Sources: ``journalEntry.post.sync.request.xml`` (structure, SOAPAction, namespace; DebitCreditCode
S = debit, H = credit with the credit amount negative: not verified in SAP's docs, CONNECTORS.md
section 4) and ``journalEntry.post.sync.response.{success,error}.xml``: **a business failure
is HTTP 200 with AccountingDocument ``0000000000``**, its ``Log`` saying why.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from hourbridge.domain.erp import ErpDocument

PATH = "/sap/bc/srt/scs_ext/sap/journalentrycreaterequestconfi"
SFIN = "http://sap.com/xi/SAPSCORE/SFIN"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ACTION = (f"{SFIN}/JournalEntryCreateRequestConfirmation_In/"
          "JournalEntryCreateRequestConfirmation_InRequest")
NO_DOCUMENT = "0000000000"


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def envelope(doc: ErpDocument, reference: str, user: str, now: datetime | None = None) -> bytes:
    """The request for ``doc`` (amounts in the company code's currency: they balance)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.Element(f"{{{ENV}}}Envelope")
    ET.SubElement(root, f"{{{ENV}}}Header")
    bulk = _add(ET.SubElement(root, f"{{{ENV}}}Body"), f"{{{SFIN}}}JournalEntryBulkCreateRequest")
    head = _add(bulk, "MessageHeader")
    _add(head, "ID", reference)
    _add(head, "CreationDateTime", stamp)
    request = _add(bulk, "JournalEntryCreateRequest")
    head = _add(request, "MessageHeader")
    _add(head, "ID", f"{reference}-1")
    _add(head, "CreationDateTime", stamp)
    entry = _add(request, "JournalEntry")
    for tag, text in (("OriginalReferenceDocumentType", "BKPFF"),
                      ("OriginalReferenceDocument", reference[:10]),
                      ("OriginalReferenceDocumentLogicalSystem", "HOURBRIDGE"),
                      ("BusinessTransactionType", "RFBU"),
                      ("AccountingDocumentType", doc.journal),
                      ("DocumentReferenceID", reference),
                      ("DocumentHeaderText", doc.memo[:25]),
                      ("CreatedByUser", user[:12]),
                      ("CompanyCode", doc.company),
                      ("DocumentDate", doc.date.isoformat()),
                      ("PostingDate", doc.date.isoformat())):
        _add(entry, tag, text)
    for n, ln in enumerate(doc.lines, 1):
        item = _add(entry, "Item")
        _add(item, "ReferenceDocumentItem", str(n))
        _add(item, "GLAccount", ln.account)
        debit = ln.debit > 0
        amount = ln.debit if debit else -ln.credit
        _add(item, "AmountInTransactionCurrency", f"{amount:.2f}", currencyCode=doc.currency)
        _add(item, "DebitCreditCode", "S" if debit else "H")
        _add(item, "DocumentItemText", ln.description[:50])
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def confirmation(body: bytes) -> tuple[str, str, str, str]:
    """(accounting document, company code, fiscal year, the log's notes) of an answer."""
    root = ET.fromstring(body)
    inner = root.find(".//JournalEntryCreateConfirmation/JournalEntryCreateConfirmation")
    notes = "; ".join((n.text or "").strip() for n in root.iterfind(".//Log/Item/Note"))

    def text(tag: str) -> str:
        found = inner.find(tag) if inner is not None else None
        return (found.text or "").strip() if found is not None else ""

    return text("AccountingDocument"), text("CompanyCode"), text("FiscalYear"), notes
