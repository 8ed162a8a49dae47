"""From the read side's plain record of an issued invoice to an ``EInvoice``.

The record is what ``ReadModels.einvoice_data`` returns (JSON-ready values: money and rates as
decimal strings, dates as ISO text)::

    {"invoice": {...the invoice row, with its "snapshot"...}, "lines": [{...}, ...],
     "credited_invoice": {"number": ..., "issue_date": ...} or None}

The parties, payment instructions and references come from the invoice's snapshot, frozen
when it was issued (``snapshot``), never from master data: an address changed later does not
change an issued document. Only facts of the record are used; where it lacks one, the
element is left out, never made up.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hourbridge.errors import Conflict

from ..fx import translate
from .document import (
    CREDIT_TRANSFER,
    NEEDS_EXEMPTION_REASON,
    ONE,
    SEPA_CREDIT_TRANSFER,
    Address,
    Attachment,
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
from .timesheet import timesheet_attachment

# Invoice states that carry a number the customer has seen and a document that stands (a
# void keeps its number but is withdrawn: it is never sent as an e-invoice).
_ISSUED = frozenset({"issued", "posted", "paid"})
_HUNDRED = Decimal(100)


def from_record(record: Mapping[str, Any]) -> EInvoice:
    """The ``EInvoice`` of an issued invoice or credit note.

    Raises ``Conflict`` for a draft or held invoice (it has no number yet) and for one whose
    stored figures cannot make a consistent EN 16931 document.
    """
    inv: Mapping[str, Any] = record["invoice"]
    if inv.get("status") == "void":
        raise Conflict(f"invoice {inv.get('number') or inv.get('id')} is void: a voided "
                       "invoice is not exported as an e-invoice", "invoice_void")
    if not inv.get("number") or inv.get("status") not in _ISSUED:
        raise Conflict(
            f"invoice {inv.get('id')} is {inv.get('status') or 'not issued'}: only issued "
            "invoices (with a number) can be exported as e-invoices; issue it first",
            "invoice_not_issued")
    number = str(inv["number"])
    snap: Mapping[str, Any] | None = inv.get("snapshot")
    if not snap:
        raise Conflict(f"invoice {number} has no snapshot of what it showed when issued; "
                       "run `hourbridge db upgrade` (migration 0007_party_snapshot fills it)")
    category = inv.get("tax_category")
    if not category:
        raise Conflict(f"invoice {number} has no VAT category (UNTDID 5305) stored")
    kind = DocumentKind(inv.get("kind") or DocumentKind.INVOICE.value)
    # EN 16931 carries a credit note with positive amounts (type code 381 is the sign); a
    # store that keeps credits negative is turned around here.
    sign = Decimal(-1) if kind is DocumentKind.CREDIT_NOTE and _dec(inv["net"]) < 0 else 1

    # BT-152 / BT-119: the rate in percent. "Not subject to VAT" has no rate at all (BR-O-05,
    # BR-O-09 via the breakdown); every other category states its rate, 0 included.
    rate = None if category == "O" else _dec(inv.get("tax_rate") or 0) * _HUNDRED
    needs_reason = category in NEEDS_EXEMPTION_REASON
    breakdown = VatBreakdown(
        category=category, rate=rate, taxable_amount=sign * _dec(inv["net"]),
        tax_amount=sign * _dec(inv["tax"]),
        # BT-120 / BT-121 only where the category needs them (BR-E-10, BR-AE-10, BR-O-10)
        # and never where they are refused (BR-S-10, BR-Z-10).
        exemption_reason=(inv.get("tax_note") or None) if needs_reason else None,
        exemption_code=(inv.get("tax_exemption_code") or None) if needs_reason else None)

    lines = tuple(_line(ln, category, rate, sign, inv["currency"])
                  for ln in _sorted_lines(record["lines"]))
    # BR-O-02: an invoice with "Not subject to VAT" lines shall not contain the seller's or
    # the buyer's VAT identifier, so they are left out of such a document.
    with_vat_ids = category != "O"
    seller = _party(snap["seller"], with_vat_id=with_vat_ids, seller=True)
    buyer = _party(snap["buyer"], with_vat_id=with_vat_ids, seller=False)

    issue_date = date.fromisoformat(inv["issue_date"])
    due_date = date.fromisoformat(inv["due_date"]) if inv.get("due_date") else None
    start, end = _period(inv.get("period"))
    credited = record.get("credited_invoice")
    reference = None
    if credited:
        reference = InvoiceReference(
            str(credited["number"]),
            date.fromisoformat(credited["issue_date"]) if credited.get("issue_date") else None)
    notes = (str(inv["reason"]),) if kind is DocumentKind.CREDIT_NOTE and inv.get("reason") \
        else ()
    tax_currency, tax_accounting = _vat_accounting(inv, snap, sign)
    try:
        return EInvoice(
            number=number, issue_date=issue_date, currency=inv["currency"], seller=seller,
            buyer=buyer, lines=lines, vat_breakdown=(breakdown,),
            line_total=sign * _dec(inv["net"]), tax_total=sign * _dec(inv["tax"]),
            total=sign * _dec(inv["total"]), kind=kind, due_date=due_date,
            payment_terms=_terms(issue_date, due_date, snap.get("payment_terms")),
            period_start=start, period_end=end,
            purchase_order=snap.get("purchase_order") or None,
            buyer_reference=snap.get("buyer_reference") or None,
            payment=_payment(snap, inv["currency"], number),
            contract=inv.get("contract") or None, billing_reference=reference, notes=notes,
            tax_currency=tax_currency, tax_total_accounting=tax_accounting,
            attachments=_attachments(number, record))
    except ValueError as exc:
        raise Conflict(f"invoice {number} cannot be exported: {exc}") from None


def _attachments(number: str, record: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """The timesheet CSV (BG-24) where the record carries one: the read side lists the
    entries billed when the invoice's contract asks for the attachment."""
    timesheet = record.get("timesheet")
    return (timesheet_attachment(number, timesheet),) if timesheet else ()


def _vat_accounting(inv: Mapping[str, Any], snap: Mapping[str, Any], sign: Decimal | int
                    ) -> tuple[str | None, Decimal | None]:
    """BT-6 and BT-111: VAT is accounted in the seller's functional currency; when the invoice
    is in another one, its VAT total there is the tax at the rate stored on the invoice (the
    one the journal booked tax payable at: ``domain.fx``)."""
    functional = snap.get("functional_currency")
    if not functional or functional == inv["currency"]:
        return None, None
    if inv.get("fx_rate") is None:
        raise Conflict(f"invoice {inv.get('number')} is in {inv['currency']} but has no FX "
                       f"rate to state its VAT in {functional} (BT-111)")
    return functional, sign * translate(_dec(inv["tax"]), _dec(inv["fx_rate"]), functional)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _sorted_lines(lines: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(lines, key=lambda ln: int(ln["line_no"]))


def _converted(ln: Mapping[str, Any], currency: str) -> str | None:
    """The item description (EN 16931-1 BT-154; UBL ``cac:Item/cbc:Description`` per
    CEN/TS 16931-3-2, CII ``ram:SpecifiedTradeProduct/ram:Description`` per CEN/TS 16931-3-3)
    of an expense line converted from another currency: what was spent and the rate, so the
    buyer can re-compute the line. The model has no line term for an amount in another
    currency (BT-5 and BT-6 are document-level currencies), hence text."""
    if not ln.get("original_currency"):
        return None
    return (f"{ln['original_amount']} {ln['original_currency']} converted at "
            f"1 {ln['original_currency']} = {ln['original_rate']} {currency}")


def _line(ln: Mapping[str, Any], category: str, rate: Decimal | None, sign: Decimal | int,
          inv_currency: str = "") -> Line:
    amount = _dec(ln["amount"])
    if ln.get("kind", "time") not in ("time", "retainer_hours"):
        # a fee, milestone, expense or write-down is one unit (UN/ECE Rec. 20 "C62"); a
        # negative line is a negative quantity, since BR-27 forbids a negative price
        return Line(
            id=str(ln["line_no"]), name=str(ln["description"]),
            quantity=Decimal(sign * (1 if amount >= 0 else -1)), net_price=abs(amount),
            net_amount=sign * amount, vat_category=category, vat_rate=rate, unit=ONE,
            description=_converted(ln, inv_currency))
    return Line(
        id=str(ln["line_no"]), name=str(ln["description"]),
        quantity=sign * _dec(ln["quantity_hours"]), net_price=_dec(ln["rate"]),
        net_amount=sign * amount, vat_category=category, vat_rate=rate)


def _payment(snap: Mapping[str, Any], currency: str, number: str
             ) -> PaymentInstructions | None:
    """BG-16 from the frozen bank account: a SEPA credit transfer (58) for a euro invoice
    into an IBAN, else a credit transfer (30); the invoice number is what the payer quotes
    (BT-83)."""
    account = snap.get("bank_account")
    if not account:
        return None
    code = SEPA_CREDIT_TRANSFER if currency == "EUR" else CREDIT_TRANSFER
    return PaymentInstructions(code, str(account["iban"]), account.get("bic") or None,
                               account.get("name") or None, number)


def _party(record: Mapping[str, Any], *, with_vat_id: bool, seller: bool) -> Party:
    """A frozen party (``snapshot.party_snapshot``); without a postal address, its country
    (the one part EN 16931 requires)."""
    postal = record.get("address")
    if postal:
        address = Address(country=str(postal["country"]),
                          lines=tuple(str(x) for x in postal.get("lines") or ()),
                          city=postal.get("city") or None,
                          postcode=postal.get("postal_code") or None,
                          subdivision=postal.get("subdivision") or None)
    else:
        address = Address(country=str(record["country"]))
    endpoint = record.get("electronic_address")
    contact = record.get("contact")
    return Party(
        name=str(record["name"]), address=address,
        vat_id=(record.get("vat_id") or None) if with_vat_id else None,
        legal_registration_id=record.get("legal_registration_id") or None,
        tax_registration_id=(record.get("tax_registration_id") or None) if seller else None,
        endpoint=Endpoint(str(endpoint["scheme"]), str(endpoint["id"])) if endpoint else None,
        contact=Contact(contact.get("name"), contact.get("phone"), contact.get("email"))
        if contact else None)


def _period(period: str | None) -> tuple[date | None, date | None]:
    """The month of work an invoice bills (``YYYY-MM``) as the invoicing period BG-14."""
    if not period:
        return None, None
    year, month = (int(x) for x in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _terms(issue_date: date, due_date: date | None, text: str | None) -> str | None:
    """The payment terms note (BT-20): the entity's terms as frozen, after the due date
    (BR-CO-25 wants a due date or terms when an amount is due)."""
    if due_date is None:
        return text
    days = (due_date - issue_date).days
    due = (f"Due on {due_date.isoformat()}." if days <= 0 else
           f"Due on {due_date.isoformat()}, {days} days from the invoice date.")
    return f"{due} {text}" if text else due
