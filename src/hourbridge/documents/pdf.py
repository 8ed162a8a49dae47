"""The invoice or credit note a person reads: a PDF drawn from the same ``EInvoice`` as the
UBL and CII, so every fact of the e-invoice (and every one it gains) is on the page too.

ReportLab's platypus lays it out on A4: seller and document facts, the buyer, references,
the lines as a table whose header repeats on every page (long invoices break across pages),
the VAT breakdown (EN 16931 BG-23), the totals (BG-22) and the payment terms. Amounts are
written in the currency's minor units (``domain.display``). The output is invariant: the
same document gives the same bytes.

A document that cannot be drawn raises ``Conflict`` (``document_not_rendered``); no blank or
partial file is ever returned.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pycountry
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from hourbridge.domain.display import hours_text, money_text, plain_text, two_or_more
from hourbridge.domain.einvoice import HOUR, DocumentKind, EInvoice, Line, Party
from hourbridge.errors import Conflict, HourbridgeError

from .fonts import check_glyphs, family

MARGIN = 18 * mm
GRID = colors.HexColor("#b0b0b0")
SHADE = colors.HexColor("#eeeeee")
# UNTDID 5305 VAT categories of EN 16931 as a reader knows them (BT-118 / BT-151)
CATEGORY_NAMES = {
    "S": "Standard rate", "Z": "Zero rated", "E": "Exempt from VAT",
    "AE": "Reverse charge", "K": "Intra-community supply", "G": "Export outside the EU",
    "O": "Not subject to VAT", "L": "Canary Islands IGIC", "M": "Ceuta and Melilla IPSI",
}
# UNTDID 4461 payment means (BT-81) a reader meets on an invoice
PAYMENT_MEANS = {"30": "credit transfer", "58": "SEPA credit transfer",
                 "49": "direct debit", "59": "SEPA direct debit", "48": "bank card"}
UNIT_NAMES = {HOUR: "h"}  # UN/ECE Rec. 20; a unit ("C62") needs no word


def render_pdf(document: EInvoice) -> bytes:
    """The PDF of ``document``; ``Conflict`` (``document_not_rendered``) when it cannot be
    drawn as issued."""
    fonts = family()
    out = io.BytesIO()
    title = f"{_kind_title(document)} {document.number}"
    template = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm, title=title, author=document.seller.name,
        subject=f"{title} from {document.seller.name} to {document.buyer.name}",
        creator="Hourbridge", lang="en", invariant=1,
        # the page preamble would otherwise name Helvetica, a font PDF/A cannot leave out
        initialFontName=fonts.regular, initialFontSize=9, initialLeading=11)
    story = _Story(document)
    try:
        template.build(story.flowables(), canvasmaker=_numbered(title, fonts.regular))
    except HourbridgeError:
        raise
    except Exception as exc:  # ReportLab's layout and font errors have no common base
        raise Conflict(f"{title} cannot be rendered as PDF: {exc}",
                       "document_not_rendered") from exc
    content = out.getvalue()
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-32:]:
        raise Conflict(f"{title}: the PDF writer returned no complete document",
                       "document_not_rendered")
    return content


def _kind_title(document: EInvoice) -> str:
    return "Credit note" if document.kind is DocumentKind.CREDIT_NOTE else "Invoice"


def _numbered(title: str, font: str) -> type[Canvas]:
    """A canvas that writes "title · page n of N" at the foot of every page: pages are kept
    until the end, when their number is known."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillColor(colors.black)
                self.drawRightString(A4[0] - MARGIN, MARGIN,
                                     f"{title} \u00b7 page {number} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


class _Story:
    """The flowables of one document, in reading order."""

    def __init__(self, document: EInvoice) -> None:
        self.doc = document
        fonts = family()
        self.body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=fonts.bold)
        self.right = ParagraphStyle("right", parent=self.body, alignment=TA_RIGHT)
        self.right_bold = ParagraphStyle("right_bold", parent=self.bold, alignment=TA_RIGHT)
        self.heading = ParagraphStyle("heading", parent=self.bold, fontSize=16, leading=20)
        self.fonts = fonts

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        check_glyphs(text, f"{_kind_title(self.doc)} {self.doc.number}")
        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.body)

    def s(self, text: str) -> str:
        """Text for a cell that never wraps (drawn in the table's font)."""
        check_glyphs(text, f"{_kind_title(self.doc)} {self.doc.number}")
        return text

    def money(self, value: Decimal) -> str:
        return money_text(value, self.doc.currency)

    def flowables(self) -> list[Flowable]:
        width = A4[0] - 2 * MARGIN
        out: list[Flowable] = [self._head(width), Spacer(1, 6 * mm)]
        out += [self._buyer(width), Spacer(1, 4 * mm)]
        out += self._references()
        out += [self._lines(width), Spacer(1, 5 * mm)]
        out += [self._vat(width), Spacer(1, 4 * mm), self._totals(width)]
        out += self._payment()
        return out

    # --- blocks -----------------------------------------------------------------------------
    def _party(self, party: Party, *, seller: bool) -> list[str]:
        a = party.address
        text = list(a.lines)
        place = " ".join(x for x in (a.postcode, a.city) if x)
        if place or a.subdivision:
            text.append(", ".join(x for x in (place, a.subdivision) if x))
        text.append(_country(a.country))
        if party.vat_id:
            text.append(f"VAT id: {party.vat_id}")
        if seller and party.tax_registration_id:
            text.append(f"Tax number: {party.tax_registration_id}")
        if party.legal_registration_id:
            text.append(f"Registration: {party.legal_registration_id}")
        endpoint = _later(party, "endpoint")
        if endpoint is not None:  # BT-34 / BT-49 with its EAS scheme
            text.append(f"Electronic address: {endpoint.scheme}:{endpoint.id}")
        contact = _later(party, "contact")
        if contact is not None:  # BG-6 / BG-9
            said = ", ".join(x for x in (contact.name, contact.phone, contact.email) if x)
            if said:
                text.append(f"Contact: {said}")
        return text

    def _head(self, width: float) -> Table:
        d = self.doc
        seller = [self.p(d.seller.name, self.heading)]
        seller += [self.p(t) for t in self._party(d.seller, seller=True)]
        facts = [("Number", d.number), ("Issue date", d.issue_date.isoformat())]
        if d.due_date is not None:
            facts.append(("Due date", d.due_date.isoformat()))
        if d.period_start is not None and d.period_end is not None:
            facts.append(("Period", f"{d.period_start.isoformat()} to "
                                    f"{d.period_end.isoformat()}"))
        facts.append(("Currency", d.currency))
        facts_table = Table([[self.p(k, self.bold), self.p(v, self.right)] for k, v in facts],
                            colWidths=[26 * mm, 44 * mm])
        facts_table.setStyle(_plain())
        right = [self.p(_kind_title(d), self.heading), facts_table]
        head = Table([[seller, right]], colWidths=[width - 72 * mm, 72 * mm])
        head.setStyle(_plain())
        return head

    def _buyer(self, width: float) -> Table:
        d = self.doc
        cell = [self.p("Bill to", self.bold), self.p(d.buyer.name, self.bold)]
        cell += [self.p(t) for t in self._party(d.buyer, seller=False)]
        table = Table([[cell]], colWidths=[width / 2], hAlign="LEFT")
        table.setStyle(_plain())
        return table

    def _references(self) -> list[Flowable]:
        d = self.doc
        refs = []
        if d.billing_reference is not None:
            ref = d.billing_reference
            when = f" of {ref.issue_date.isoformat()}" if ref.issue_date else ""
            refs.append(f"Credits invoice {ref.number}{when}")
        if d.contract:
            refs.append(f"Contract: {d.contract}")
        if d.purchase_order:
            refs.append(f"Purchase order: {d.purchase_order}")
        buyer_reference = _later(d, "buyer_reference")
        if buyer_reference:
            refs.append(f"Your reference: {buyer_reference}")
        out: list[Flowable] = [self.p(r) for r in refs]
        out += [self.p(n) for n in d.notes]
        if out:
            out.append(Spacer(1, 4 * mm))
        return out

    def _lines(self, width: float) -> Table:
        head = ["#", "Description", "Quantity", "Unit price", "VAT", f"Amount {self.doc.currency}"]
        widths = [12 * mm, 0.0, 22 * mm, 26 * mm, 16 * mm, 30 * mm]
        widths[1] = width - sum(widths)
        rows: list[list[Any]] = [[self.p(h, self.right_bold if i > 1 else self.bold)
                                  for i, h in enumerate(head)]]
        rows += [self._line(ln) for ln in self.doc.lines]
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(_grid(self.fonts.regular, right_from=2))
        return table

    def _line(self, ln: Line) -> list[Any]:
        # plain strings where a cell never wraps: a Paragraph per cell costs a 500-line
        # invoice seconds
        name = ln.name if not ln.description else f"{ln.name}\n{ln.description}"
        unit = UNIT_NAMES.get(ln.unit)
        quantity = hours_text(ln.quantity) if ln.unit == HOUR else plain_text(ln.quantity)
        return [self.s(ln.id), self.p(name), self.s(f"{quantity} {unit}" if unit else quantity),
                self.s(two_or_more(ln.net_price)), self.s(_rate(ln.vat_rate)),
                self.s(self.money(ln.net_amount))]

    def _vat(self, width: float) -> Table:
        rows: list[list[Any]] = [[self.p(h, self.right_bold if i in (1, 2, 3) else self.bold)
                                  for i, h in enumerate(
                                      ("VAT", "Rate", "Taxable amount", "VAT amount",
                                       "Reason"))]]
        for b in self.doc.vat_breakdown:
            reason = " ".join(x for x in (b.exemption_code, b.exemption_reason) if x)
            rows.append([self.p(CATEGORY_NAMES.get(b.category, b.category)),
                         self.p(_rate(b.rate), self.right),
                         self.p(self.money(b.taxable_amount), self.right),
                         self.p(self.money(b.tax_amount), self.right),
                         self.p(reason, self.small)])
        widths = [36 * mm, 16 * mm, 34 * mm, 28 * mm, 0.0]
        widths[4] = width - sum(widths)
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(_grid(self.fonts.regular, right_from=None))
        return table

    def _totals(self, width: float) -> Table:
        d = self.doc
        rows = [("Net total", self.money(d.line_total), False),
                ("VAT", self.money(d.tax_total), False),
                (f"Total {d.currency}", self.money(d.total), False),
                ("Credited amount" if d.kind is DocumentKind.CREDIT_NOTE else "Amount due",
                 self.money(d.total), True)]
        if d.tax_currency is not None and d.tax_total_accounting is not None:
            rows.append((f"VAT in {d.tax_currency}",
                         money_text(d.tax_total_accounting, d.tax_currency), False))
        data = [[self.p(k, self.right_bold if strong else self.right),
                 self.p(f"{v} {d.currency}" if k.startswith(("Amount", "Credited")) else v,
                        self.right_bold if strong else self.right)] for k, v, strong in rows]
        table = Table(data, colWidths=[min(width - 40 * mm, 60 * mm), 40 * mm], hAlign="RIGHT")
        table.setStyle(TableStyle([*_plain().getCommands(),
                                   ("LINEABOVE", (0, 3), (-1, 3), 0.8, colors.black)]))
        return table

    def _payment(self) -> list[Flowable]:
        out: list[Flowable] = []
        if self.doc.payment_terms:
            out += [self.p("Payment terms", self.bold), self.p(self.doc.payment_terms)]
        payment = _later(self.doc, "payment")
        if payment is not None and self.doc.kind is DocumentKind.INVOICE:
            # BG-16: what the payer needs to pay by transfer (a credit note is not paid)
            if out:
                out.append(Spacer(1, 2 * mm))
            out.append(self.p("Payment by " + PAYMENT_MEANS.get(payment.means_code,
                                                                f"means {payment.means_code}"),
                              self.bold))
            facts = [("IBAN", _iban(payment.iban)), ("BIC", payment.bic),
                     ("Account holder", payment.account_name),
                     ("Reference to quote", payment.remittance)]
            out += [self.p(f"{k}: {v}") for k, v in facts if v]
        return [Spacer(1, 5 * mm), *out] if out else []


def _later(value: object, name: str) -> Any:
    """A field the party and payment data of issue 17 item 1 add to ``EInvoice`` and
    ``Party`` (BT-10, BT-34 / BT-49, BG-6 / BG-9, BG-16): shown once the document has it,
    None before. When both are on main this is plain attribute access."""
    return getattr(value, name, None)


def _iban(iban: str) -> str:
    """In groups of four, as printed on paper (ISO 13616-1, 5.2)."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _rate(rate: Decimal | None) -> str:
    """A VAT rate in percent; "not subject to VAT" has none (BR-O-05)."""
    return "—" if rate is None else f"{plain_text(rate)} %"


def _country(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else code


def _plain() -> TableStyle:
    # a table sets its cells' font even where they hold paragraphs: never the base-14 default
    return TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("FONTNAME", (0, 0), (-1, -1), family().regular),
                       ("LEFTPADDING", (0, 0), (-1, -1), 0),
                       ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                       ("TOPPADDING", (0, 0), (-1, -1), 1),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])


def _grid(font: str, right_from: int | None) -> TableStyle:
    """Lines between rows, a shaded header; plain-string cells in ``font``, right-aligned
    from column ``right_from`` on."""
    aligned = [("ALIGN", (right_from, 0), (-1, -1), "RIGHT")] if right_from is not None else []
    return TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("FONTNAME", (0, 0), (-1, -1), font),
                       ("FONTSIZE", (0, 0), (-1, -1), 9),
                       ("LEADING", (0, 0), (-1, -1), 11.5),
                       *aligned,
                       ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                       ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
                       ("TOPPADDING", (0, 0), (-1, -1), 2),
                       ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])

