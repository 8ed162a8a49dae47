"""Documents of issued invoices and credit notes, for people and for programs (an adapter:
the domain's ``EInvoice`` drawn with ReportLab and packed with factur-x).

``render_document(document, fmt)`` gives UBL or CII XML, a PDF, or a Factur-X / ZUGFeRD
PDF/A-3 with the CII embedded, with its media type and file name. The CLI
(``hourbridge export invoice``) and the API (``GET /v1/invoices/{id}/document``) both call it.
"""

from __future__ import annotations

from .hybrid import render_facturx
from .pdf import render_pdf
from .rendering import DocumentFormat, RenderedDocument, file_name, render_document

__all__ = ["DocumentFormat", "RenderedDocument", "file_name", "render_document",
           "render_facturx", "render_pdf"]
