"""Factur-X 1.0 / ZUGFeRD 2.x: the readable PDF and the CII e-invoice in one PDF/A-3 file.

The hybrid invoice is a PDF/A-3 (ISO 19005-3, conformance B) that shows the invoice and
carries its CII XML as the associated file ``factur-x.xml`` (``/AFRelationship /Data``),
described in its XMP metadata by the Factur-X extension schema (profile EN 16931).

PyPI ``factur-x`` (``generate_from_file``) embeds the XML, checks it against the Factur-X
EN 16931 XSD, and writes the XMP (``pdfaid:part 3``, ``conformance B``), the ``/AF`` array
and the document information. It leaves the rest of PDF/A to the PDF it is given
(its README: the input "must be a PDF/A"), so ``render_facturx`` hands it one that has

- every font embedded (``fonts``: TrueType subsets, no base-14 font, ISO 19005-3 6.2.11.4);
- an output intent: device RGB colour, as ReportLab draws, needs an ``/OutputIntents`` entry
  of subtype ``GTS_PDFA1`` with an ICC profile (6.2.4.3), here sRGB IEC 61966-2.1 built by
  LittleCMS inside Pillow;
- a file identifier (``/ID`` in the trailer, 6.1.3), no encryption, no transparency, no
  JavaScript or external content, and the document information's Producer and Trapped
  removed, so the information dictionary says nothing the XMP factur-x writes does not
  (6.6.2.3.1); for the same reason no keywords are passed (factur-x's XMP has no
  pdf:Keywords).

``generate_from_binary`` is not used: it reads and writes one temporary file, so its result
starts with most of the input PDF before the new one (akretion/factur-x issue #24, open);
``generate_from_file`` with a separate output file, as that issue advises, writes one clean
file.
"""

from __future__ import annotations

import functools
import io
import tempfile
from pathlib import Path

import facturx
from PIL import ImageCms
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from hourbridge.domain.einvoice import EInvoice, render_cii
from hourbridge.errors import Conflict, HourbridgeError

from .pdf import render_pdf

SRGB = "sRGB IEC61966-2.1"
XML_NAME = "factur-x.xml"  # the file name Factur-X 1.0 prescribes for the embedded CII
LEVEL = "en16931"  # the profile render_cii writes (GuidelineSpecifiedDocumentContextParameter)


def render_facturx(document: EInvoice) -> bytes:
    """The Factur-X PDF/A-3 of ``document``: its PDF with its CII embedded.

    ``Conflict`` (``document_not_rendered``) when the PDF cannot be drawn or factur-x
    refuses the XML (it checks the XSD): never a PDF without its XML."""
    xml = render_cii(document)
    base = with_output_intent(render_pdf(document))
    title = f"{document.kind.value.replace('_', ' ').capitalize()} {document.number}"
    metadata = {
        "author": document.seller.name,
        "title": title,
        "subject": f"{title} of {document.issue_date.isoformat()} from "
                   f"{document.seller.name} to {document.buyer.name}",
    }
    try:
        with tempfile.TemporaryDirectory(prefix="hourbridge-facturx-") as folder:
            target = Path(folder) / "factur-x.pdf"
            facturx.generate_from_file(
                io.BytesIO(base), xml, flavor="factur-x", level=LEVEL, check_xsd=True,
                pdf_metadata=metadata, lang="en", output_pdf_file=str(target))
            content = target.read_bytes()
    except HourbridgeError:
        raise
    except Exception as exc:  # factur-x raises ValueError, lxml and pypdf errors
        raise Conflict(f"{title} cannot be rendered as Factur-X: {exc}",
                       "document_not_rendered") from exc
    return content


@functools.cache
def srgb_profile() -> bytes:
    """An sRGB ICC profile (LittleCMS's built-in one, as Pillow writes it)."""
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def with_output_intent(pdf: bytes) -> bytes:
    """``pdf`` with a PDF/A output intent (sRGB) and without the producer and trapping in
    its document information (factur-x states the producer in the XMP only)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    raw = DecodedStreamObject()
    raw.set_data(srgb_profile())
    profile = raw.flate_encode()
    profile[NameObject("/N")] = NumberObject(3)  # RGB components
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB),
        NameObject("/Info"): TextStringObject(SRGB),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject(
        [writer._add_object(intent)])
    info = writer._info
    if info is not None:
        info_dict = info.get_object()
        if isinstance(info_dict, DictionaryObject):
            for key in ("/Producer", "/Trapped"):
                info_dict.pop(NameObject(key), None)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
