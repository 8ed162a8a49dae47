"""One issued invoice or credit note in the format asked for, with what a file or an HTTP
response needs to carry it: the bytes, the media type and a file name from its number.

The four formats render the same ``EInvoice`` (``domain.einvoice``): the EN 16931 XML in
either syntax (UBL 2.1 or UN/CEFACT CII), the PDF a person reads, and Factur-X / ZUGFeRD,
the PDF/A-3 carrying the CII.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from hourbridge.domain.einvoice import EInvoice, render_cii, render_ubl

from .hybrid import render_facturx
from .pdf import render_pdf


class DocumentFormat(enum.StrEnum):
    UBL = "ubl"
    CII = "cii"
    PDF = "pdf"
    FACTURX = "facturx"

    @property
    def media_type(self) -> str:
        """RFC 7303 ``application/xml`` for the XML, RFC 8118 ``application/pdf`` for both
        PDFs (a Factur-X file is a PDF to every reader)."""
        return "application/pdf" if self in (DocumentFormat.PDF, DocumentFormat.FACTURX) \
            else "application/xml"

    @property
    def suffix(self) -> str:
        return {DocumentFormat.UBL: ".ubl.xml", DocumentFormat.CII: ".cii.xml",
                DocumentFormat.PDF: ".pdf", DocumentFormat.FACTURX: ".facturx.pdf"}[self]


RENDERERS: dict[DocumentFormat, Callable[[EInvoice], bytes]] = {
    DocumentFormat.UBL: render_ubl,
    DocumentFormat.CII: render_cii,
    DocumentFormat.PDF: render_pdf,
    DocumentFormat.FACTURX: render_facturx,
}
# what a file name keeps of an invoice number: letters, digits, dot, dash and underscore
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    content: bytes
    media_type: str
    filename: str  # e.g. DE-000001.pdf, safe in a Content-Disposition header and on disk


def render_document(document: EInvoice, fmt: DocumentFormat) -> RenderedDocument:
    """``document`` as ``fmt``. Raises ``Conflict`` (``document_not_rendered``) when a PDF
    cannot be drawn: the caller gets an error, never an empty document."""
    return RenderedDocument(RENDERERS[fmt](document), fmt.media_type,
                            file_name(document.number, fmt))


def file_name(number: str, fmt: DocumentFormat) -> str:
    stem = _UNSAFE.sub("_", number).strip("._") or "invoice"
    return stem + fmt.suffix
