"""Tax rules by entity and customer country and status (VAT Directive 2006/112/EC)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hourbridge.domain.model import Customer, LegalEntity
from hourbridge.domain.problems import Problem
from hourbridge.domain.tax import invoice_tax

DE = LegalEntity("DE", "Beispiel GmbH", "DE", "EUR", "DE", vat_id="DE811111111",
                 tax_rates={"standard": Decimal("0.19"), "reduced": Decimal("0.07")})
US = LegalEntity("US", "Example Inc.", "US", "USD", "US", tax_rates={"standard": Decimal(0)})


def customer(country: str, **kw: object) -> Customer:
    return Customer(id="C", name="C", entity="DE", currency="EUR", country=country,
                    **kw)  # type: ignore[arg-type]


def test_domestic_vat_is_rounded_half_up_once_per_invoice() -> None:
    tax = invoice_tax(DE, customer("DE"), Decimal("562.50"), "EUR")
    assert not isinstance(tax, Problem)
    assert (tax.category, tax.rate, tax.amount) == ("S", Decimal("0.19"), Decimal("106.88"))


def test_eu_business_abroad_is_reverse_charged_with_its_legal_note() -> None:
    tax = invoice_tax(DE, customer("AT", vat_id="ATU12345678"), Decimal("1000"), "EUR")
    assert not isinstance(tax, Problem)
    assert (tax.code, tax.category, tax.amount) == ("reverse_charge", "AE", Decimal("0.00"))
    assert "Article 196" in tax.note and tax.exemption_code == "VATEX-EU-AE"


def test_reverse_charge_without_vat_id_is_a_problem_not_a_guess() -> None:
    tax = invoice_tax(DE, customer("FR"), Decimal("1000"), "EUR")
    assert isinstance(tax, Problem) and tax.code == "missing_vat_id"
    assert tax.owner == "finance"


def test_eu_consumer_abroad_pays_the_entity_vat() -> None:
    tax = invoice_tax(DE, customer("FR", business=False), Decimal("100"), "EUR")
    assert not isinstance(tax, Problem) and tax.amount == Decimal("19.00")


@pytest.mark.parametrize("entity", [DE, US])
def test_business_outside_the_entity_country_is_outside_scope(entity: LegalEntity) -> None:
    tax = invoice_tax(entity, customer("CH"), Decimal("100"), "EUR")
    assert not isinstance(tax, Problem)
    assert (tax.category, tax.amount) == ("O", Decimal("0.00"))


def test_exempt_customer_and_zero_rates() -> None:
    exempt = invoice_tax(DE, customer("DE", tax_exempt=True), Decimal("100"), "EUR")
    assert not isinstance(exempt, Problem) and (exempt.category, exempt.amount) == (
        "E", Decimal("0.00"))
    us = invoice_tax(US, customer("US"), Decimal("100"), "USD")
    assert not isinstance(us, Problem) and (us.category, us.amount) == ("O", Decimal("0.00"))
    assert us.code == "not_registered"  # no VAT id outside the EU: not subject to VAT
    reduced = invoice_tax(DE, customer("DE", tax_code="reduced"), Decimal("10.50"), "EUR")
    assert not isinstance(reduced, Problem) and reduced.amount == Decimal("0.74")
