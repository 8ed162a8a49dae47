"""domain.display: amounts shown in minor units, hours to two decimals, rates as stored."""

from __future__ import annotations

from decimal import Decimal

from hourbridge.domain.display import hours_text, money_text, shown, two_or_more


def test_money_in_minor_units_of_each_currency() -> None:
    assert money_text(Decimal("19212.00000000"), "EUR") == "19212.00"
    assert money_text(Decimal("400"), "USD") == "400.00"
    assert money_text(Decimal("1200.00000000"), "JPY") == "1200"
    assert money_text(Decimal("1.5"), "KWD") == "1.500"
    assert money_text(Decimal("-0.00000000"), "CHF") == "0.00"
    assert money_text(Decimal("150.00000000"), None) == "150.00"
    assert two_or_more(Decimal("95.12500000")) == "95.125"
    assert hours_text(Decimal("1.505")) == "1.51"


def test_a_report_is_shown_by_its_keys_and_currency() -> None:
    report = {
        "currency": "JPY", "net": Decimal("1200.00000000"), "tax": "120.00000000",
        "rate": Decimal("150.00000000"), "tax_rate": "0.19", "quantity_hours": "1.5",
        "seconds": 5400, "number": "JP-000001", "external_id": "12",
        "lines": [{"amount": Decimal("600.00000000"), "entries": 3}],
        "wip": {"EUR": "400", "KWD": Decimal("1.2")},
        "functional_currency": "EUR", "functional_balance": Decimal("7.10000000"),
    }
    out = shown(report)
    assert out == {
        "currency": "JPY", "net": "1200", "tax": "120", "rate": "150", "tax_rate": "0.19",
        "quantity_hours": "1.50", "seconds": 5400, "number": "JP-000001",
        "external_id": "12", "lines": [{"amount": "600", "entries": 3}],
        "wip": {"EUR": "400.00", "KWD": "1.200"},
        "functional_currency": "EUR", "functional_balance": "7.10",
    }
    assert shown(out) == out  # shown once, shown for good
    assert report["net"] == Decimal("1200.00000000")  # the input is left alone
