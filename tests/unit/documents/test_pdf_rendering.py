"""The PDF and Factur-X renderers on documents built directly (no database): long invoices
break across pages with their header, the totals and every line on them; text the typeface
cannot draw is an error, not a blank; the Factur-X file is a PDF/A-3 carrying the CII."""

from __future__ import annotations

import io
import re
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from hourbridge.documents import DocumentFormat, file_name, render_document
from hourbridge.documents.hybrid import with_output_intent
from hourbridge.domain.display import money_text
from hourbridge.domain.einvoice import (
    Address,
    DocumentKind,
    EInvoice,
    InvoiceReference,
    Line,
    Party,
    VatBreakdown,
    render_cii,
)
from hourbridge.errors import Conflict

pypdf = pytest.importorskip("pypdf")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def invoice(n_lines: int = 2, *, rate: Decimal = Decimal(19), **changes: Any) -> EInvoice:
    """An invoice of ``n_lines`` hour lines whose totals are computed, not typed in."""
    lines = tuple(
        Line(str(i), f"P{i % 7} / DEV — week {i} @ 150.00 EUR/h", Decimal("1.25") + i % 3,
             Decimal("150"), ((Decimal("1.25") + i % 3) * 150).quantize(CENT), "S", rate)
        for i in range(1, n_lines + 1))
    net = sum((ln.net_amount for ln in lines), Decimal(0))
    tax = (net * rate / HUNDRED).quantize(CENT)
    fields: dict[str, Any] = dict(
        number="DE-000042", issue_date=date(2026, 11, 2), currency="EUR",
        seller=Party("Beispiel Beratung GmbH",
                     Address("DE", ("Hauptstraße 1",), "Berlin", "10115"),
                     vat_id="DE811000004"),
        buyer=Party("Lumière Conseil SAS", Address("FR", ("3 rue de la Paix",), "Paris",
                                                   "75002"), vat_id="FR40303265045"),
        lines=lines, vat_breakdown=(VatBreakdown("S", rate, net, tax),), line_total=net,
        tax_total=tax, total=net + tax, due_date=date(2026, 11, 16),
        payment_terms="Due on 2026-11-16, 14 days from the invoice date.",
        period_start=date(2026, 10, 1), period_end=date(2026, 10, 31), contract="K1",
        purchase_order="PO-4711")
    fields.update(changes)
    return EInvoice(**fields)


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_a_500_line_invoice_breaks_across_pages_with_every_line_and_the_totals() -> None:
    doc = invoice(500)
    started = time.perf_counter()
    pdf = render_document(doc, DocumentFormat.PDF).content
    seconds = time.perf_counter() - started
    pages = pages_text(pdf)
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        assert "Description" in text and "Amount EUR" in text  # the header repeats
        assert f"Invoice DE-000042 · page {number} of {len(pages)}" in text
    everything = "\n".join(pages)
    # every line, once, in order
    weeks = [int(w) for w in re.findall(r"week (\d+) @", everything)]
    assert weeks == list(range(1, 501))
    assert money_text(doc.total, "EUR") in pages[-1]
    assert money_text(doc.tax_total, "EUR") in pages[-1]
    assert seconds < 30, f"500 lines took {seconds:.1f} s"


def test_the_pdf_shows_parties_references_and_vat_of_the_document() -> None:
    doc = invoice(3)
    [text] = pages_text(render_document(doc, DocumentFormat.PDF).content)
    for fact in ("Beispiel Beratung GmbH", "Hauptstraße 1", "10115 Berlin", "Germany",
                 "VAT id: DE811000004", "Lumière Conseil SAS", "France", "FR40303265045",
                 "DE-000042", "2026-11-02", "2026-11-16", "2026-10-01 to 2026-10-31",
                 "Purchase order: PO-4711", "Contract: K1", "Standard rate", "19 %",
                 doc.payment_terms or "", money_text(doc.line_total, "EUR"),
                 f"{money_text(doc.total, 'EUR')} EUR"):
        assert fact in text, fact


def test_a_credit_note_names_itself_and_the_invoice_it_credits() -> None:
    note = invoice(1, number="DE-000043", kind=DocumentKind.CREDIT_NOTE,
                   billing_reference=InvoiceReference("DE-000042", date(2026, 11, 2)),
                   notes=("Hours of 2026-10-20 were billed twice.",))
    [text] = pages_text(render_document(note, DocumentFormat.PDF).content)
    assert "Credit note" in text and "DE-000043" in text
    assert "Credits invoice DE-000042 of 2026-11-02" in text
    assert "billed twice" in text and "Credited amount" in text


def test_zero_decimal_currency_amounts_have_no_minor_units() -> None:
    jpy = invoice(1, currency="JPY", rate=Decimal(10))
    [text] = pages_text(render_document(jpy, DocumentFormat.PDF).content)
    assert f"{money_text(jpy.total, 'JPY')} JPY" in text
    assert "." not in money_text(jpy.total, "JPY")


def test_text_the_typeface_cannot_draw_is_an_error_not_a_blank() -> None:
    doc = invoice(1, buyer=Party("株式会社サンプル", Address("JP")))
    for fmt in (DocumentFormat.PDF, DocumentFormat.FACTURX):
        with pytest.raises(Conflict, match="no glyph") as err:
            render_document(doc, fmt)
        assert err.value.code == "document_not_rendered"


def test_the_same_document_gives_the_same_pdf() -> None:
    doc = invoice(4)
    assert render_document(doc, DocumentFormat.PDF) == render_document(doc, DocumentFormat.PDF)


def test_facturx_is_a_pdf_a_3_carrying_the_cii_of_the_document() -> None:
    facturx = pytest.importorskip("facturx")
    doc = invoice(3)
    rendered = render_document(doc, DocumentFormat.FACTURX)
    assert (rendered.media_type, rendered.filename) == ("application/pdf",
                                                        "DE-000042.facturx.pdf")
    # one PDF, not the input PDF followed by the output (akretion/factur-x issue #24)
    assert rendered.content.count(b"%PDF-") == 1 and rendered.content.count(b"%%EOF") == 1
    name, xml = facturx.get_xml_from_pdf(rendered.content, check_xsd=True)
    assert name == "factur-x.xml" and xml == render_cii(doc)
    reader = pypdf.PdfReader(io.BytesIO(rendered.content))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    [intent] = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    [spec] = [a.get_object() for a in root["/AF"]]
    assert (spec["/F"], spec["/AFRelationship"]) == ("factur-x.xml", "/Data")
    assert len(reader.trailer["/ID"]) == 2
    info = reader.trailer["/Info"]
    assert "/Producer" not in info and "/Trapped" not in info  # not said apart from the XMP
    assert info["/Title"] in xmp and info["/Author"] in xmp
    assert_every_font_embedded(reader)
    assert "DE-000042" in reader.pages[0].extract_text()


def assert_every_font_embedded(reader: Any) -> None:
    """PDF/A wants every font program in the file: no base-14 font, a FontFile2 each."""
    fonts = {}
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            fonts[name] = ref.get_object()
    assert fonts
    for name, font in fonts.items():
        assert font["/Subtype"] == "/TrueType", (name, font["/BaseFont"])
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), name


def test_the_output_intent_keeps_the_pages() -> None:
    pdf = render_document(invoice(2), DocumentFormat.PDF).content
    again = with_output_intent(pdf)
    assert pages_text(again) == pages_text(pdf)


@pytest.mark.parametrize(("number", "fmt", "name"), [
    ("DE-000001", DocumentFormat.UBL, "DE-000001.ubl.xml"),
    ("DE-000001", DocumentFormat.CII, "DE-000001.cii.xml"),
    ("US/2026/7", DocumentFormat.PDF, "US_2026_7.pdf"),
    ('"; rm -rf', DocumentFormat.PDF, "rm_-rf.pdf"),
])
def test_file_names_come_from_the_number_and_are_safe(number: str, fmt: DocumentFormat,
                                                      name: str) -> None:
    assert file_name(number, fmt) == name


def test_party_and_payment_data_of_the_document_are_on_the_page() -> None:
    """Electronic addresses, contacts, the buyer reference and the payment instructions
    (BG-16) that the party and payment data of issue 17 item 1 add to the document."""
    from hourbridge.domain import einvoice

    if not hasattr(einvoice, "PaymentInstructions"):
        pytest.skip("party and payment data (issue 17 item 1) are not in EInvoice yet")
    payment = einvoice.PaymentInstructions("58", "DE89370400440532013000", "COBADEFFXXX",
                                           "Beispiel Beratung GmbH", "DE-000042")
    base = invoice(2)
    buyer = Party(base.buyer.name, base.buyer.address, vat_id=base.buyer.vat_id,
                  endpoint=einvoice.Endpoint("0009", "30303265045"),
                  contact=einvoice.Contact("Claire Martin", None, "ap@lumiere.example"))
    doc = invoice(2, buyer=buyer, buyer_reference="LC-2026-17", payment=payment)
    [text] = pages_text(render_document(doc, DocumentFormat.PDF).content)
    for fact in ("SEPA credit transfer", "IBAN: DE89 3704 0044 0532 0130 00",
                 "BIC: COBADEFFXXX", "Reference to quote: DE-000042",
                 "Your reference: LC-2026-17", "Electronic address: 0009:30303265045",
                 "Contact: Claire Martin, ap@lumiere.example"):
        assert fact in text, fact
