"""Money is a ``Decimal`` with an ISO 4217 currency; rounding happens here and nowhere else.

Rule (DESIGN §3): amounts round half-up to the currency's minor unit, per invoice line, in the
contract currency. Rates and quantities are never rounded by this module.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

# the ISO 4217 table lives in iso4217 (generated); money re-exports its two questions
from .iso4217 import is_currency as is_currency
from .iso4217 import minor_units as minor_units

_CALC = decimal.Context(prec=34, rounding=ROUND_HALF_UP)
SECONDS_PER_HOUR = Decimal(3600)


# currency -> its minor unit: a billing run rounds every line, net and tax of a few currencies,
# and building the quantum (table look-up, scaleb) cost as much as the rounding (issue 16)
_QUANTA: dict[str, Decimal] = {}


def quantum(currency: str) -> Decimal:
    q = _QUANTA.get(currency)
    if q is None:
        q = _QUANTA[currency] = Decimal(1).scaleb(-minor_units(currency))
    return q


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the minor unit of ``currency``: the only rounding of money amounts."""
    q = _QUANTA.get(currency)
    if q is None:
        q = quantum(currency)
    return amount.quantize(q, rounding=ROUND_HALF_UP, context=_CALC)


def hours(seconds: int) -> Decimal:
    """Seconds as hours, exact to 34 digits (quantities are never rounded, only shown)."""
    return _CALC.divide(Decimal(seconds), SECONDS_PER_HOUR)


def time_amount(seconds: int, hourly_rate: Decimal, currency: str) -> Decimal:
    """Price of ``seconds`` at ``hourly_rate``, computed exactly then rounded once."""
    exact = _CALC.divide(_CALC.multiply(Decimal(seconds), hourly_rate), SECONDS_PER_HOUR)
    q = _QUANTA.get(currency)
    if q is None:
        q = quantum(currency)
    return exact.quantize(q, rounding=ROUND_HALF_UP, context=_CALC)


def tax_amount(base: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(_CALC.multiply(base, rate), currency)
