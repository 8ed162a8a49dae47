"""What a party needs to send and be paid for an invoice: its postal address, electronic
address, contact, bank accounts and payment terms (EN 16931 BG-4/BG-5/BG-6, BG-7/BG-8/BG-9,
BG-16/BG-17, BT-20, BT-34/BT-49).

The values are checked where they are read (``formats.checks``: ISO 3166 countries, IBAN and
BIC with python-stdnum, the EAS scheme of an electronic address); here they are plain frozen
records, and ``snapshot`` freezes what an issued document shows so that a later master-data
change never alters it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """BG-5 (seller) / BG-8 (buyer): up to three street lines (BT-35..BT-37 / BT-50..BT-52),
    city (BT-37 / BT-52), postal code (BT-38 / BT-53), subdivision (BT-39 / BT-54) and the
    ISO 3166-1 alpha-2 country (BT-40 / BT-55), the one mandatory part (BR-09, BR-11)."""

    country: str
    lines: tuple[str, ...] = ()
    city: str | None = None
    postal_code: str | None = None
    subdivision: str | None = None


@dataclass(frozen=True, slots=True)
class ElectronicAddress:
    """BT-34 (seller) / BT-49 (buyer) with its scheme (BT-34-1 / BT-49-1), a code of the CEF
    Electronic Address Scheme list (``domain.eas``): on Peppol, the participant id."""

    scheme: str
    id: str


@dataclass(frozen=True, slots=True)
class Contact:
    """BG-6 seller contact / BG-9 buyer contact: BT-41/56 name, BT-42/57 phone, BT-43/58
    email."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class BankAccount:
    """BG-17 credit transfer: BT-84 the IBAN (payment account id), BT-85 its name, BT-86 the
    BIC (payment service provider)."""

    iban: str
    bic: str | None = None
    name: str | None = None
    currency: str | None = None  # the invoices it takes; None: any currency


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """An entity's terms: ``days`` from the issue date to the due date (BT-9) unless the
    customer has its own, and the text every invoice states (BT-20)."""

    days: int = 30
    text: str | None = None
