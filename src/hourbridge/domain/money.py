"""Money is a ``Decimal`` with an ISO 4217 currency; rounding happens here and nowhere else.

Rule (DESIGN §3): amounts round half-up to the currency's minor unit, per invoice line, in the
contract currency. Rates and quantities are never rounded by this module.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 minor units for currencies whose exponent is not 2 (table A.1, 2024 edition).
_MINOR_UNITS_NOT_TWO: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}
# Active ISO 4217 alphabetic codes with exponent 2 that firms invoice in; a code outside both
# tables is refused rather than guessed.
_MINOR_UNITS_TWO = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK
    PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TOP TRY TTD TWD TZS UAH USD UZS VES WST XCD YER ZAR ZMW ZWG""".split()
)

_CALC = decimal.Context(prec=34, rounding=ROUND_HALF_UP)
SECONDS_PER_HOUR = Decimal(3600)


def is_currency(code: str) -> bool:
    return code in _MINOR_UNITS_TWO or code in _MINOR_UNITS_NOT_TWO


def minor_units(currency: str) -> int:
    if currency in _MINOR_UNITS_NOT_TWO:
        return _MINOR_UNITS_NOT_TWO[currency]
    if currency in _MINOR_UNITS_TWO:
        return 2
    raise ValueError(f"unknown ISO 4217 currency {currency!r}")


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the minor unit of ``currency``: the only rounding of money amounts."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP, context=_CALC)


def hours(seconds: int) -> Decimal:
    """Seconds as hours, exact to 34 digits (quantities are never rounded, only shown)."""
    return _CALC.divide(Decimal(seconds), SECONDS_PER_HOUR)


def time_amount(seconds: int, hourly_rate: Decimal, currency: str) -> Decimal:
    """Price of ``seconds`` at ``hourly_rate``, computed exactly then rounded once."""
    exact = _CALC.divide(_CALC.multiply(Decimal(seconds), hourly_rate), SECONDS_PER_HOUR)
    return round_money(exact, currency)


def tax_amount(base: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(_CALC.multiply(base, rate), currency)
