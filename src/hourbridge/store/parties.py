"""A party's address, electronic address, contact, bank accounts and payment terms as the
JSON of the ``party`` column of entities and customers (``domain.parties``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from hourbridge.domain import parties as pt


def _address(j: dict[str, Any] | None) -> pt.PostalAddress | None:
    return None if j is None else pt.PostalAddress(
        country=j["country"], lines=tuple(j.get("lines") or ()), city=j.get("city"),
        postal_code=j.get("postal_code"), subdivision=j.get("subdivision"))


def _plain(value: object | None) -> dict[str, Any] | None:
    return None if value is None else asdict(value)  # type: ignore[call-overload]


def customer_party_json(address: pt.PostalAddress | None,
                        endpoint: pt.ElectronicAddress | None,
                        contact: pt.Contact | None) -> dict[str, Any] | None:
    if address is None and endpoint is None and contact is None:
        return None
    return {"address": None if address is None else {**asdict(address),
                                                     "lines": list(address.lines)},
            "electronic_address": _plain(endpoint), "contact": _plain(contact)}


def entity_party_json(address: pt.PostalAddress | None, endpoint: pt.ElectronicAddress | None,
                      contact: pt.Contact | None, accounts: tuple[pt.BankAccount, ...],
                      terms: pt.PaymentTerms) -> dict[str, Any]:
    return {**(customer_party_json(address, endpoint, contact)
               or {"address": None, "electronic_address": None, "contact": None}),
            "bank_accounts": [asdict(a) for a in accounts], "payment_terms": asdict(terms)}


def customer_party(j: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments of ``Customer`` (and of ``LegalEntity``) from the JSON."""
    j = j or {}
    endpoint, contact = j.get("electronic_address"), j.get("contact")
    return {"address": _address(j.get("address")),
            "electronic_address": None if endpoint is None else pt.ElectronicAddress(
                endpoint["scheme"], endpoint["id"]),
            "contact": None if contact is None else pt.Contact(**contact)}


def entity_party(j: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments of ``LegalEntity`` from the JSON (a row from before migration 0007
    has none: no address, no accounts, the default terms)."""
    j = j or {}
    terms = j.get("payment_terms")
    return {**customer_party(j),
            "bank_accounts": tuple(pt.BankAccount(**a) for a in j.get("bank_accounts") or ()),
            "payment_terms": pt.PaymentTerms(**terms) if terms else pt.PaymentTerms()}
