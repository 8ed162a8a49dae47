"""EN 16931 e-invoices (DESIGN §5 ``export invoice ID --format ubl|cii``): pure and stdlib only.

``EInvoice`` is the document as the European standard names it (business terms BT-n);
``render_ubl`` writes it as an OASIS UBL 2.1 Invoice or CreditNote, ``render_cii`` as a
UN/CEFACT Cross Industry Invoice in the Factur-X / ZUGFeRD EN 16931 profile; ``from_record``
builds it from the read side's record of an issued invoice. The tests check every document
against the UBL 2.1 and CII schemas and the EN 16931 business rules (schematron).
"""

from __future__ import annotations

from .cii import render_cii
from .document import (
    EN16931,
    HOUR,
    PEPPOL_BILLING_PROCESS,
    PEPPOL_BIS3,
    Address,
    Contact,
    DocumentKind,
    EInvoice,
    Endpoint,
    InvoiceReference,
    Line,
    Party,
    PaymentInstructions,
    VatBreakdown,
)
from .mapping import from_record
from .snapshot import freeze_document
from .ubl import render_ubl

__all__ = ["EN16931", "HOUR", "PEPPOL_BILLING_PROCESS", "PEPPOL_BIS3", "Address", "Contact",
           "DocumentKind", "EInvoice", "Endpoint", "InvoiceReference", "Line", "Party",
           "PaymentInstructions", "VatBreakdown", "freeze_document", "from_record",
           "render_cii", "render_ubl"]
