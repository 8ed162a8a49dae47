from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.money import (
    hours,
    is_currency,
    minor_units,
    quantum,
    round_money,
    tax_amount,
    time_amount,
)

D = Decimal


@pytest.mark.parametrize(
    ("currency", "units"),
    [("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("EUR", 2), ("USD", 2), ("CLF", 4)],
)
def test_minor_units(currency: str, units: int) -> None:
    assert minor_units(currency) == units
    assert quantum(currency) == D(1).scaleb(-units)
    assert is_currency(currency)


@pytest.mark.parametrize("code", ["XXX", "eur", "", "EURO", "BTC"])
def test_unknown_currency_raises(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(ValueError, match="unknown ISO 4217"):
        minor_units(code)
    with pytest.raises(ValueError):
        round_money(D("1.00"), code)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.005", "EUR", "0.01"),
        ("0.004999", "EUR", "0.00"),
        ("0.015", "EUR", "0.02"),  # half-up, not banker's (which would give 0.02 too)
        ("0.025", "EUR", "0.03"),  # banker's rounding would give 0.02
        ("-0.005", "EUR", "-0.01"),  # ROUND_HALF_UP rounds half away from zero
        ("-0.004", "EUR", "0.00"),
        ("-1.235", "EUR", "-1.24"),
        ("2.5", "JPY", "3"),
        ("-2.5", "JPY", "-3"),
        ("1.0005", "KWD", "1.001"),
        ("1.0004", "KWD", "1.000"),
        ("12", "EUR", "12.00"),
    ],
)
def test_round_money_half_up(amount: str, currency: str, expected: str) -> None:
    result = round_money(D(amount), currency)
    assert result == D(expected)
    assert result.as_tuple().exponent == -minor_units(currency)


def test_round_money_keeps_exponent_for_zero_result() -> None:
    assert str(round_money(D("0.001"), "EUR")) == "0.00"


@pytest.mark.parametrize(
    ("seconds", "rate", "currency", "expected"),
    [
        (1, "3600", "EUR", "1.00"),
        (1200, "100", "EUR", "33.33"),  # 20 minutes at 100/h
        (2400, "100", "EUR", "66.67"),  # 40 minutes at 100/h
        (3600, "123.45", "EUR", "123.45"),
        (1, "0.01", "EUR", "0.00"),
        (18, "1", "EUR", "0.01"),  # 0.005 exactly -> half-up
        (17, "1", "EUR", "0.00"),  # 0.00472...
        (1800, "1", "JPY", "1"),  # 0.5 -> 1
        (1200, "100", "KWD", "33.333"),
        (0, "100", "EUR", "0.00"),
        (36000, "99.99", "EUR", "999.90"),
    ],
)
def test_time_amount_exact(seconds: int, rate: str, currency: str, expected: str) -> None:
    assert time_amount(seconds, D(rate), currency) == D(expected)


def test_hours_exact() -> None:
    assert hours(5400) == D("1.5")
    assert hours(1200) * 3 == D(1)  # 34 significant digits: 0.333...3 x 3 rounds back
    assert hours(0) == 0


def test_tax_amount_rounds_once() -> None:
    assert tax_amount(D("33.33"), D("0.19"), "EUR") == D("6.33")  # 6.3327
    assert tax_amount(D("10.50"), D("0.19"), "EUR") == D("2.00")  # 1.995 half-up
    assert tax_amount(D("100"), D("0"), "EUR") == D("0.00")


rates = st.decimals(min_value=D(0), max_value=D("10000"), places=2, allow_nan=False,
                    allow_infinity=False)
currencies = st.sampled_from(["EUR", "JPY", "KWD", "USD", "CLF"])


@given(seconds=st.integers(min_value=0, max_value=10_000_000), rate=rates, currency=currencies)
def test_time_amount_is_exact_product_rounded_once(
    seconds: int, rate: Decimal, currency: str
) -> None:
    amount = time_amount(seconds, rate, currency)
    with localcontext() as ctx:
        ctx.prec = 80
        exact = D(seconds) * rate / 3600
    assert amount == round_money(exact, currency)
    assert abs(amount - exact) <= quantum(currency) / 2
    assert amount.as_tuple().exponent == -minor_units(currency)


@given(amount=st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=6), currency=currencies)
def test_round_money_is_symmetric_and_close(amount: Decimal, currency: str) -> None:
    rounded = round_money(amount, currency)
    assert abs(rounded - amount) <= quantum(currency) / 2
    # half-up is symmetric around zero: round(-x) == -round(x)
    assert round_money(-amount, currency) == -rounded
    assert round_money(rounded, currency) == rounded
