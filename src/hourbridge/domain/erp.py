"""ERP profiles and the documents Hourbridge posts to an ERP, in no ERP's own shape.

An ERP keeps the books; Hourbridge only tells it what was issued. A **profile** says, per
legal entity and destination, how our documents land in that ERP: the company and journal,
the receivable account, the revenue account (and item) per kind of invoice line, the tax code
per Hourbridge tax code, the account per ledger account for journal entries, whose numbering
the document keeps, the currency, and how hard the ERP may be pushed (documents in flight,
documents started per second). ``check_profile`` names each missing field; ``map_invoice`` and
``map_journal`` turn an issued document (its frozen snapshot, ``domain.einvoice.snapshot``)
into an ``ErpDocument`` every sink (``connectors/<erp>/``) translates into its own API.

External ids are derived from the outbox key of what happened, never drawn at random: the same
document gets the same id on every attempt, which is what lets a sink find a document an
earlier attempt created but never heard back about (DESIGN section 4, point 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .iso4217 import MINOR_UNITS
from .problems import Problem

SYSTEMS = ("odoo", "tryton", "netsuite", "business_central", "d365_fo", "oracle_fusion",
           "sap")
NUMBERING = ("hourbridge", "erp")  # whose number the ERP document carries
KINDS = ("customer", "invoice", "credit_note", "journal_entry")
DEFAULT = "default"  # the revenue account / item of a line kind the profile does not name
EXTERNAL_ID_MAX = 64  # the shortest external-id field among the planned ERPs


@dataclass(frozen=True, slots=True)
class ErpProfile:
    destination: str  # the sink's name: several entities may post to one ERP
    system: str
    entity: str
    company: str
    journal: str
    currency: str
    receivable_account: str
    revenue_accounts: Mapping[str, str]  # invoice line kind (time, fee, expense...) -> account
    tax_codes: Mapping[str, str] = field(default_factory=dict)  # ours -> the ERP's
    items: Mapping[str, str] = field(default_factory=dict)  # line kind -> product/item code
    accounts: Mapping[str, str] = field(default_factory=dict)  # ledger account -> the ERP's
    numbering: str = "hourbridge"
    entries_journal: str | None = None  # journal entries' journal (default: ``journal``)
    connection: Mapping[str, str] = field(default_factory=dict)  # url, database, login...
    concurrency: int = 2
    documents_per_second: float | None = None


def check_profile(p: ErpProfile, where: str, entities: Mapping[str, str]) -> list[Problem]:
    """Every reason ``p`` cannot be used, each naming its field; ``entities`` maps each legal
    entity's code to its functional currency."""
    out: list[Problem] = []

    def bad(fld: str, message: str) -> None:
        out.append(Problem("invalid_erp_profile", message, f"{where}.{fld}", fld))

    if p.system not in SYSTEMS:
        bad("system", f"unknown ERP {p.system!r}: one of {', '.join(SYSTEMS)}")
    if p.entity not in entities:
        bad("entity", f"unknown legal entity {p.entity!r}")
    if p.currency not in MINOR_UNITS:
        bad("currency", f"{p.currency!r} is not an ISO 4217 currency")
    for name in ("destination", "company", "journal", "receivable_account"):
        if not str(getattr(p, name)).strip():
            bad(name, "must not be empty")
    if DEFAULT not in p.revenue_accounts:
        bad(f"revenue_accounts.{DEFAULT}", "a revenue account for lines of any other kind "
            "is required")
    for kind, account in {**p.revenue_accounts, **p.accounts}.items():
        if not account.strip():
            bad(f"accounts.{kind}", "must not be empty")
    if p.numbering not in NUMBERING:
        bad("numbering", f"one of {', '.join(NUMBERING)}")
    if p.concurrency < 1:
        bad("concurrency", "at least 1")
    if p.documents_per_second is not None and p.documents_per_second <= 0:
        bad("documents_per_second", "must be positive")
    if not p.connection.get("url"):
        bad("connection.url", "the ERP's base URL is required")
    return out


def external_id(key: str) -> str:
    """The id a document carries in every ERP: its outbox key, or a digest of a long one."""
    if len(key) <= EXTERNAL_ID_MAX - 3:
        return f"hb:{key}"
    return "hb:" + hashlib.sha256(key.encode()).hexdigest()[:EXTERNAL_ID_MAX - 3]


@dataclass(frozen=True, slots=True)
class ErpParty:
    external_id: str
    name: str
    country: str | None = None
    vat_id: str | None = None
    email: str | None = None
    erp_id: str | None = None  # the ERP's own customer (the identity map's match), if known


@dataclass(frozen=True, slots=True)
class ErpLine:
    description: str
    account: str
    quantity: Decimal = Decimal(1)
    unit_price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    item: str | None = None
    tax: str | None = None
    debit: Decimal = Decimal(0)  # journal-entry lines only, in the company's currency
    credit: Decimal = Decimal(0)
    currency: str | None = None  # a journal line's own currency, when not the company's
    amount_currency: Decimal | None = None  # signed (debit +), in ``currency``
    project: str | None = None  # the ERP's own project (the identity map's), where it has one


@dataclass(frozen=True, slots=True)
class ErpDocument:
    kind: str  # invoice / credit_note / journal_entry
    external_id: str
    company: str
    journal: str
    currency: str
    date: date
    lines: tuple[ErpLine, ...]
    memo: str = ""
    number: str | None = None  # ours, kept when the profile's numbering is "hourbridge"
    partner: ErpParty | None = None
    due_date: dt.date | None = None
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    reference: str | None = None  # the buyer's PO / reference
    receivable: str | None = None  # an invoice's receivable account (the profile's)


def customer_party(entity: str, customer: str, buyer: Mapping[str, Any]) -> ErpParty:
    contact = buyer.get("contact") or {}
    return ErpParty(external_id(f"customer:{entity}:{customer}"), buyer.get("name") or customer,
                    buyer.get("country"), buyer.get("vat_id"), contact.get("email"))


def map_invoice(p: ErpProfile, key: str, invoice: Mapping[str, Any],
                lines: list[Mapping[str, Any]],
                projects: Mapping[str, str] | None = None) -> ErpDocument | list[Problem]:
    """An issued invoice or credit note (its row, lines and snapshot) as ``p`` posts it, or
    what the profile lacks to post it. Credit notes carry positive amounts: the kind says
    which way they go, as every ERP expects. ``projects`` (our project code -> the ERP's
    project, the identity map's) names each line's ERP project where it holds one."""
    where = f"erp_profiles[{p.destination}]"
    snapshot = invoice.get("snapshot") or {}
    tax_code = invoice.get("tax_code")
    tax = p.tax_codes.get(tax_code) if tax_code else None
    if tax_code and tax is None:
        return [Problem("invalid_erp_profile", f"no ERP tax code for {tax_code!r}",
                        f"{where}.tax_codes.{tax_code}", f"tax_codes.{tax_code}")]
    out = []
    # amounts go positive in the document's direction (a document stored negative flips);
    # a line against it (an invoice's cap write-down) stays negative
    flip = Decimal(-1) if Decimal(invoice["net"]) < 0 else Decimal(1)
    for ln in lines:
        kind = ln.get("kind") or "time"
        amount = flip * Decimal(ln["amount"])
        qty = abs(Decimal(ln["quantity_hours"]))
        rate = abs(Decimal(ln["rate"])).copy_sign(amount)
        if qty == 0 or qty * rate != amount:
            # an ERP recomputes quantity x price; rounded lines post as one unit of their
            # amount so the ERP's total equals the invoice's to the cent
            qty, rate = Decimal(1), amount
        out.append(ErpLine(ln["description"], p.revenue_accounts.get(kind,
                                                                     p.revenue_accounts[DEFAULT]),
                           qty, rate, amount, p.items.get(kind, p.items.get(DEFAULT)), tax,
                           project=(projects or {}).get(ln.get("project") or "") or None))
    credit = invoice.get("kind") == "credit_note"
    return ErpDocument(
        "credit_note" if credit else "invoice", external_id(key), p.company, p.journal,
        invoice["currency"], invoice["issue_date"], tuple(out),
        memo=f"{'Credit note' if credit else 'Invoice'} {invoice['number']}",
        number=invoice["number"] if p.numbering == "hourbridge" else None,
        partner=customer_party(invoice["entity"], invoice["customer"], snapshot.get("buyer")
                               or {}),
        due_date=invoice.get("due_date"), net=abs(Decimal(invoice["net"])),
        tax=abs(Decimal(invoice["tax"])), total=abs(Decimal(invoice["total"])),
        reference=snapshot.get("purchase_order") or snapshot.get("buyer_reference"),
        receivable=p.receivable_account)


def map_journal(p: ErpProfile, key: str, journal: Mapping[str, Any]) -> ErpDocument | list[
        Problem]:
    """A journal entry's postings (``services.events.journal_to_data``) in the ERP's
    accounts; a ledger account the profile does not map is a problem naming it."""
    where = f"erp_profiles[{p.destination}]"
    missing = sorted({ps["account"] for ps in journal["postings"]} - set(p.accounts))
    if missing:
        return [Problem("invalid_erp_profile", f"no ERP account for ledger account {a!r}",
                        f"{where}.accounts.{a}", f"accounts.{a}") for a in missing]
    lines = []
    for ps in journal["postings"]:
        # an ERP's journal is kept in the company's currency: the functional amount (signed,
        # debit positive) is what balances; a line in another currency keeps its own amount
        functional = Decimal(ps["functional_amount"])
        foreign = ps["currency"] != p.currency
        lines.append(ErpLine(
            journal["memo"], p.accounts[ps["account"]], debit=max(functional, Decimal(0)),
            credit=max(-functional, Decimal(0)), currency=ps["currency"] if foreign else None,
            amount_currency=Decimal(ps["debit"]) - Decimal(ps["credit"]) if foreign else None))
    return ErpDocument("journal_entry", external_id(key), p.company,
                       p.entries_journal or p.journal, p.currency,
                       date.fromisoformat(journal["posted_on"]), tuple(lines),
                       memo=journal["memo"])


def document_to_data(doc: ErpDocument) -> dict[str, Any]:
    """JSON-ready (the outbox payload): decimals and dates as strings, never floats."""
    def plain(value: Any) -> Any:
        if isinstance(value, Decimal | date):
            return str(value) if isinstance(value, Decimal) else value.isoformat()
        return value

    data = {k: plain(getattr(doc, k)) for k in ErpDocument.__slots__
            if k not in ("lines", "partner")}
    data["lines"] = [{k: plain(getattr(ln, k)) for k in ErpLine.__slots__}
                     for ln in doc.lines]
    data["partner"] = None if doc.partner is None else {
        k: getattr(doc.partner, k) for k in ErpParty.__slots__}
    return data


def document_from_data(data: Mapping[str, Any]) -> ErpDocument:
    lines = tuple(ErpLine(
        ln["description"], ln["account"], Decimal(ln["quantity"]), Decimal(ln["unit_price"]),
        Decimal(ln["amount"]), ln.get("item"), ln.get("tax"), Decimal(ln["debit"]),
        Decimal(ln["credit"]), ln.get("currency"),
        None if ln.get("amount_currency") is None else Decimal(ln["amount_currency"]),
        ln.get("project"))
        for ln in data["lines"])
    return ErpDocument(
        data["kind"], data["external_id"], data["company"], data["journal"], data["currency"],
        date.fromisoformat(data["date"]), lines, data.get("memo", ""), data.get("number"),
        ErpParty(**data["partner"]) if data.get("partner") else None,
        date.fromisoformat(data["due_date"]) if data.get("due_date") else None,
        Decimal(data["net"]), Decimal(data["tax"]), Decimal(data["total"]),
        data.get("reference"), data.get("receivable"))


@dataclass(frozen=True)
class ErpCustomer:
    """A customer as the ERP holds it (``Sink.customers``)."""

    erp_id: str            # the ERP's own id
    external_id: str | None  # our external id if the ERP holds one
    name: str
    vat_id: str | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class ErpProject:
    """A project as the ERP holds it (``Sink.projects``): its own id, our external id if it
    holds one, its code (project number) and name, and the ERP's customer it bills."""

    erp_id: str
    external_id: str | None
    code: str | None
    name: str
    customer: str | None = None


@dataclass(frozen=True, slots=True)
class ErpRecord:
    """A document as the ERP holds it: its own id, and whether it is still a draft (created
    by an attempt that did not get to post it)."""

    erp_id: str
    draft: bool = False
    number: str | None = None


@dataclass(frozen=True, slots=True)
class ErpPayment:
    """One payment the ERP holds against a document: its own id for it (stable: the same
    payment read twice is recorded once), the date and the amount in the document's
    currency (positive: a refund paid on a credit note is positive too)."""

    erp_id: str
    paid_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentState:
    """What the ERP says is paid: ``state`` one of not_paid / partial / paid / reversed,
    the amount still open (``residual``) and the payments so far."""

    state: str
    residual: Decimal | None = None
    payments: tuple[ErpPayment, ...] = ()
