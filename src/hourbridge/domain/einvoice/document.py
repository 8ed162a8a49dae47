"""The e-invoice as EN 16931 sees it: one frozen value, rendered to UBL 2.1 or CII.

Field comments name the EN 16931 business term (BT-n) or group (BG-n) each field carries. The
document holds only facts Hourbridge has; what it lacks (postal address lines, a legal
registration id, payment instructions) stays ``None`` and is left out of the XML, never
filled with a placeholder.

Sign convention: EN 16931 carries a credit note with positive amounts; the type code (381)
says it is a credit. ``EInvoice`` therefore refuses negative totals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# EN 16931 specification identifier (BT-24), the core standard without an extension (BR-01).
EN16931 = "urn:cen.eu:en16931:2017"
# Peppol BIS Billing 3.0: its specification identifier (BT-24, PEPPOL-EN16931-R004) and
# business process (BT-23, PEPPOL-EN16931-R001/R007), from the BIS "Billing 3.0" document
# (docs.peppol.eu/poacc/billing/3.0, sections 6.1 and 6.2).
PEPPOL_BIS3 = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
# UNTDID 4461 payment means (BT-81): 30 credit transfer, 58 SEPA credit transfer
CREDIT_TRANSFER, SEPA_CREDIT_TRANSFER = "30", "58"
# UN/ECE Recommendation 20 "hour": the only quantity unit the billing of time needs (BT-130).
HOUR = "HUR"
ONE = "C62"  # a unit ("one"): fees, milestones, expenses, write-downs

# UNTDID 5305 categories of EN 16931 (BT-118 / BT-151) that need an exemption reason (BT-120
# or BT-121) — BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10 — and the ones that must not
# have one (BR-S-10, BR-Z-10, BR-AF-10, BR-AG-10).
NEEDS_EXEMPTION_REASON = frozenset({"E", "AE", "K", "G", "O"})
CATEGORIES = frozenset({"S", "Z", "E", "AE", "K", "G", "O", "L", "M"})


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def type_code(self) -> str:
        """UNTDID 1001 document type (BT-3): 380 commercial invoice, 381 credit note."""
        return "381" if self is DocumentKind.CREDIT_NOTE else "380"


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address (BG-5 seller / BG-8 buyer); only the country (BT-40 / BT-55) is
    mandatory in EN 16931 (BR-09, BR-11)."""

    country: str  # ISO 3166-1 alpha-2
    lines: tuple[str, ...] = ()  # BT-35..BT-37 / BT-50..BT-52, at most three
    city: str | None = None  # BT-37 / BT-52
    postcode: str | None = None  # BT-38 / BT-53
    subdivision: str | None = None  # BT-39 / BT-54

    def __post_init__(self) -> None:
        if len(self.country) != 2 or not self.country.isupper():
            raise ValueError(f"country {self.country!r} is not an ISO 3166-1 alpha-2 code")
        if len(self.lines) > 3:
            raise ValueError("EN 16931 has at most three address lines")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Electronic address (BT-34 seller / BT-49 buyer) and its CEF EAS scheme (BT-34-1 /
    BT-49-1, BR-62 / BR-63); on Peppol the participant id (PEPPOL-EN16931-R010, -R020)."""

    scheme: str
    id: str


@dataclass(frozen=True, slots=True)
class Contact:
    """Seller contact (BG-6) or buyer contact (BG-9)."""

    name: str | None = None  # BT-41 / BT-56
    phone: str | None = None  # BT-42 / BT-57
    email: str | None = None  # BT-43 / BT-58


@dataclass(frozen=True, slots=True)
class Party:
    """Seller (BG-4) or buyer (BG-7)."""

    name: str  # BT-27 / BT-44 (BR-06, BR-07)
    address: Address  # BG-5 / BG-8 (BR-08, BR-10)
    vat_id: str | None = None  # BT-31 / BT-48, with its ISO 3166 prefix (BR-CO-09)
    legal_registration_id: str | None = None  # BT-30 / BT-47
    tax_registration_id: str | None = None  # BT-32 (seller only): a national tax number
    endpoint: Endpoint | None = None  # BT-34 / BT-49
    contact: Contact | None = None  # BG-6 / BG-9


@dataclass(frozen=True, slots=True)
class PaymentInstructions:
    """Payment instructions (BG-16) by credit transfer (BG-17): BR-49 wants the means code,
    BR-61 the payee's account when the code is a credit transfer (30 or 58)."""

    means_code: str  # BT-81, UNTDID 4461
    iban: str  # BT-84
    bic: str | None = None  # BT-86
    account_name: str | None = None  # BT-85
    remittance: str | None = None  # BT-83: what the payer quotes (the invoice number)


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice line (BG-25): hours of work at a net hourly price."""

    id: str  # BT-126
    name: str  # BT-153 item name (BR-25)
    quantity: Decimal  # BT-129, in hours
    net_price: Decimal  # BT-146, per one hour (BR-27: not negative)
    net_amount: Decimal  # BT-131
    vat_category: str  # BT-151
    vat_rate: Decimal | None  # BT-152 in percent; None for "O" (BR-O-05)
    description: str | None = None  # BT-154
    unit: str = HOUR  # BT-130


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One VAT breakdown (BG-23) per category and rate."""

    category: str  # BT-118
    rate: Decimal | None  # BT-119 in percent; None for "O" (BR-O-09)
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str | None = None  # BT-120
    exemption_code: str | None = None  # BT-121 (VATEX)


@dataclass(frozen=True, slots=True)
class InvoiceReference:
    """Preceding invoice reference (BG-3): the invoice a credit note credits."""

    number: str  # BT-25
    issue_date: date | None = None  # BT-26


@dataclass(frozen=True, slots=True)
class Attachment:
    """An additional supporting document embedded in the e-invoice (BG-24): its reference
    (BT-122, BR-52), description (BT-123) and the file itself (BT-125) with its mime code
    (one EN 16931 allows: BR-CL-24) and file name."""

    id: str  # BT-122
    filename: str  # BT-125 @filename
    mime_code: str  # BT-125 @mimeCode
    content: bytes  # BT-125, base64 in the XML
    description: str | None = None  # BT-123


@dataclass(frozen=True, slots=True)
class EInvoice:
    number: str  # BT-1
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: Party  # BG-4
    buyer: Party  # BG-7
    lines: tuple[Line, ...]  # BG-25 (BR-16: at least one)
    vat_breakdown: tuple[VatBreakdown, ...]  # BG-23 (BR-CO-18: at least one)
    line_total: Decimal  # BT-106
    tax_total: Decimal  # BT-110
    total: Decimal  # BT-112 (= BT-115 amount due: nothing prepaid, no rounding amount)
    kind: DocumentKind = DocumentKind.INVOICE  # BT-3
    due_date: date | None = None  # BT-9
    payment_terms: str | None = None  # BT-20
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    purchase_order: str | None = None  # BT-13
    buyer_reference: str | None = None  # BT-10
    payment: PaymentInstructions | None = None  # BG-16
    contract: str | None = None  # BT-12
    billing_reference: InvoiceReference | None = None  # BG-3
    notes: tuple[str, ...] = ()  # BT-22
    # BT-6 and BT-111: when VAT is accounted in another currency than the invoice's (a DE
    # entity invoicing in CHF accounts VAT in EUR), the VAT total in that currency (BR-53)
    tax_currency: str | None = None
    tax_total_accounting: Decimal | None = None
    attachments: tuple[Attachment, ...] = ()  # BG-24

    @property
    def peppol(self) -> bool:
        """Whether the document has what Peppol BIS Billing 3.0 needs beyond EN 16931: both
        electronic addresses (PEPPOL-EN16931-R010, -R020) and a buyer reference or order
        reference (-R003). Only such a document claims the Peppol specification id; any
        other stays a plain EN 16931 document rather than one that claims what it is not."""
        return (self.seller.endpoint is not None and self.buyer.endpoint is not None
                and bool(self.buyer_reference or self.purchase_order))

    def __post_init__(self) -> None:
        """Refuse a document whose figures disagree: the XML must say what was issued."""
        if not self.number:
            raise ValueError("an e-invoice needs its number (BT-1)")
        if not self.lines:
            raise ValueError(f"invoice {self.number}: no lines (BR-16)")
        if not self.vat_breakdown:
            raise ValueError(f"invoice {self.number}: no VAT breakdown (BR-CO-18)")
        for line in self.lines:
            if line.vat_category not in CATEGORIES:
                raise ValueError(f"line {line.id}: VAT category {line.vat_category!r} is not "
                                 "a UNTDID 5305 code of EN 16931")
        if sum((ln.net_amount for ln in self.lines), Decimal(0)) != self.line_total:
            raise ValueError(f"invoice {self.number}: lines do not add up to {self.line_total}"
                             " (BR-CO-10)")
        if sum((b.tax_amount for b in self.vat_breakdown), Decimal(0)) != self.tax_total:
            raise ValueError(f"invoice {self.number}: VAT breakdown does not add up to "
                             f"{self.tax_total} (BR-CO-14)")
        if self.line_total + self.tax_total != self.total:
            raise ValueError(f"invoice {self.number}: {self.line_total} + {self.tax_total} is "
                             f"not {self.total} (BR-CO-15)")
        if self.total < 0 or self.line_total < 0:
            raise ValueError(f"invoice {self.number}: negative totals; a credit note carries "
                             "positive amounts with type code 381")
        if (self.tax_currency is None) != (self.tax_total_accounting is None):
            raise ValueError(f"invoice {self.number}: the VAT accounting currency (BT-6) and "
                             "the VAT total in it (BT-111) go together (BR-53)")
        if self.tax_currency is not None and self.tax_currency == self.currency:
            raise ValueError(f"invoice {self.number}: the VAT accounting currency (BT-6) is "
                             "only stated when it differs from the invoice currency (BT-5)")
        for b in self.vat_breakdown:
            if (b.category in NEEDS_EXEMPTION_REASON) != bool(
                    b.exemption_reason or b.exemption_code):
                need = "needs" if b.category in NEEDS_EXEMPTION_REASON else "must not have"
                raise ValueError(f"invoice {self.number}: VAT category {b.category} {need} an "
                                 "exemption reason")

    @property
    def type_code(self) -> str:
        return self.kind.type_code
