"""What an issued document shows, frozen when it is issued.

An invoice is a legal document: once issued, what it says about the seller and the buyer
(names, ids, addresses, electronic addresses, contacts), how to pay (bank account, terms, due
date) and at what FX rate its VAT was accounted must never change, even when master data
does. ``freeze_document`` takes those facts from master data at issue into one JSON-ready
mapping that the store keeps on the invoice (``invoices.snapshot``); every export reads the
snapshot (``mapping.from_record``), never master data.

Version 1 of the snapshot::

    {"version": 1, "seller": PARTY, "buyer": PARTY, "bank_account": {iban, bic, name} | None,
     "payment_terms": text | None, "payment_terms_days": int, "due_date": "YYYY-MM-DD",
     "fx_rate": "1.0823" | None, "functional_currency": "EUR",
     "buyer_reference": text | None, "purchase_order": text | None,
     "timesheet_attachment": bool}

    PARTY = {"name", "country", "vat_id", "legal_registration_id", "tax_registration_id",
             "address": {country, lines, city, postal_code, subdivision} | None,
             "electronic_address": {scheme, id} | None,
             "contact": {name, email, phone} | None}
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from ..model import Contract, Customer, LegalEntity
from ..parties import BankAccount, Contact, ElectronicAddress, PostalAddress

SNAPSHOT_VERSION = 1


def _address(a: PostalAddress | None) -> dict[str, Any] | None:
    return None if a is None else {**asdict(a), "lines": list(a.lines)}


def _plain(value: ElectronicAddress | Contact | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)


def party_snapshot(party: LegalEntity | Customer) -> dict[str, Any]:
    """A seller or buyer as a document shows it."""
    return {
        "name": party.name, "country": party.country, "vat_id": party.vat_id,
        "legal_registration_id": getattr(party, "legal_registration_id", None),
        "tax_registration_id": getattr(party, "tax_registration_id", None),
        "address": _address(party.address),
        "electronic_address": _plain(party.electronic_address),
        "contact": _plain(party.contact),
    }


def pick_bank_account(entity: LegalEntity, currency: str) -> BankAccount | None:
    """The account a customer pays an invoice in ``currency`` into: the first one kept in
    that currency, else the first one without a currency, else none."""
    for account in entity.bank_accounts:
        if account.currency == currency:
            return account
    return next((a for a in entity.bank_accounts if a.currency is None), None)


def payment_days(entity: LegalEntity, customer: Customer) -> int:
    """Days from issue to due date: the customer's own terms, else the entity's."""
    if customer.payment_terms_days is not None:
        return customer.payment_terms_days
    return entity.payment_terms.days


def freeze_document(entity: LegalEntity, customer: Customer, contract: Contract, *,
                    currency: str, due_date: date, fx_rate: Decimal | None) -> dict[str, Any]:
    """The snapshot of a document issued now (see the module docstring)."""
    account = pick_bank_account(entity, currency)
    return {
        "version": SNAPSHOT_VERSION,
        "seller": party_snapshot(entity),
        "buyer": party_snapshot(customer),
        "bank_account": None if account is None else {
            "iban": account.iban, "bic": account.bic, "name": account.name},
        "payment_terms": entity.payment_terms.text,
        "payment_terms_days": payment_days(entity, customer),
        "due_date": due_date.isoformat(),
        "fx_rate": None if fx_rate is None else str(fx_rate),
        "functional_currency": entity.currency,
        "buyer_reference": contract.buyer_reference,
        "purchase_order": contract.purchase_order or customer.po_number,
        "timesheet_attachment": contract.timesheet_attachment,
    }
