"""The formats an invoice document is written in: an enum of its own module, so the CLI can
declare ``--format`` without importing ReportLab and factur-x (start-up, issue 16)."""

from __future__ import annotations

import enum


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
