"""One issued invoice or credit note in the format asked for, with what a file or an HTTP
response needs to carry it: the bytes, the media type and a file name from its number.

The four formats render the same ``EInvoice`` (``domain.einvoice``): the EN 16931 XML in
either syntax (UBL 2.1 or UN/CEFACT CII), the PDF a person reads, and Factur-X / ZUGFeRD,
the PDF/A-3 carrying the CII.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hourbridge.domain.einvoice import EInvoice, render_cii, render_ubl

from .formats import DocumentFormat
from .hybrid import render_facturx
from .pdf import render_pdf

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
