"""Documents of issued invoices and credit notes, for people and for programs (an adapter:
the domain's ``EInvoice`` drawn with ReportLab and packed with factur-x).

``render_document(document, fmt)`` gives UBL or CII XML, a PDF, or a Factur-X / ZUGFeRD
PDF/A-3 with the CII embedded, with its media type and file name. The CLI
(``hourbridge export invoice``) and the API (``GET /v1/invoices/{id}/document``) both call it.

Only ``DocumentFormat`` is imported with the package; the renderers (ReportLab, factur-x,
pypdf: a quarter of a second) on first use, so a command line that only names a format
starts without them (issue 16).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .formats import DocumentFormat

if TYPE_CHECKING:
    from .hybrid import render_facturx
    from .pdf import render_pdf
    from .rendering import RenderedDocument, file_name, render_document

_LAZY = {"render_facturx": ".hybrid", "render_pdf": ".pdf", "RenderedDocument": ".rendering",
         "file_name": ".rendering", "render_document": ".rendering"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # once: later look-ups are plain attribute reads
    return value


__all__ = ["DocumentFormat", "RenderedDocument", "file_name", "render_document",
           "render_facturx", "render_pdf"]
