"""Foreign exchange: the rate table, the rate in force on a day, and translation to the
functional currency.

Quotation convention (direct quotation from the functional side): a rate ``r`` for the pair
``from_currency -> to_currency`` means **1 unit of from_currency = r units of to_currency**.
``from_currency`` is a transaction (contract) currency, ``to_currency`` an entity's functional
currency: USD -> EUR 0.92 translates 100.00 USD into 92.00 EUR.

Rules:

* the rate in force on a day is the one with the latest ``valid_from`` on or before that day;
  before the first rate of a pair there is none, and ``no_fx_rate`` is reported, never guessed;
* only the declared direction counts: an EUR -> USD rate is not inverted into USD -> EUR,
  because 1 / r is not exact in decimal (0.92 gives 1.0869565...) and the firm's source of
  rates (a bank, the ECB) publishes the direction it quotes; a second direction is loaded as
  its own rate;
* a rate is positive with at most ``RATE_PLACES`` decimals (the store keeps NUMERIC(24, 8));
* a translated amount is rounded half up once, to the functional currency's minor unit.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .money import _CALC, round_money
from .problems import Problem

RATE_PLACES = 8
ONE = Decimal(1)


class FxRateDate(enum.StrEnum):
    """Which day's rate a contract's amounts are translated at (see ``wip_rate_day`` and the
    README's "Multi-currency" section)."""

    WORK_DATE = "work_date"
    ISSUE_DATE = "issue_date"  # named "invoice_date" before docs/GLOSSARY.md
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class FxRate:
    """1 ``from_currency`` = ``rate`` ``to_currency`` from ``valid_from`` until the next rate."""

    from_currency: str
    to_currency: str
    valid_from: date
    rate: Decimal

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.from_currency, self.to_currency, self.valid_from)


@dataclass(frozen=True, slots=True)
class ForeignAmount:
    """What an amount converted into another currency was: ``amount`` of ``currency``, and the
    ``rate`` it was converted at (1 ``currency`` = ``rate`` units of the target currency). An
    invoice line carries it so the customer sees what was spent and how it was converted."""

    amount: Decimal
    currency: str
    rate: Decimal


def rate_problem(rate: Decimal) -> str | None:
    """Why ``rate`` cannot be a rate (not positive, too many decimals), or None."""
    if not rate.is_finite() or rate <= 0:
        return f"rate {rate} must be a positive number"
    exponent = rate.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_PLACES:
        return f"rate {rate} has more than {RATE_PLACES} decimals"
    if rate.adjusted() >= 24 - RATE_PLACES:
        return f"rate {rate} is too large"
    return None


class FxTable:
    """Rates indexed by pair and date; ``rate_on`` answers in O(log n)."""

    def __init__(self, rates: Iterable[FxRate]) -> None:
        by_pair: dict[tuple[str, str], list[FxRate]] = {}
        for r in rates:
            by_pair.setdefault((r.from_currency, r.to_currency), []).append(r)
        self._rates = {pair: sorted(rs, key=lambda r: r.valid_from)
                       for pair, rs in by_pair.items()}
        self._days = {pair: [r.valid_from for r in rs] for pair, rs in self._rates.items()}

    def has_pair(self, from_currency: str, to_currency: str) -> bool:
        return from_currency == to_currency or (from_currency, to_currency) in self._rates

    def rate_on(self, from_currency: str, to_currency: str, on: date) -> Decimal | Problem:
        """The rate in force on ``on``: 1 for one currency, else the latest rate of the pair
        on or before ``on``; a ``no_fx_rate`` problem when there is none."""
        if from_currency == to_currency:
            return ONE
        days = self._days.get((from_currency, to_currency))
        at = bisect.bisect_right(days, on) if days else 0
        if not days or at == 0:
            first = f" (the first is from {days[0].isoformat()})" if days else ""
            return Problem("no_fx_rate",
                           f"no {from_currency} -> {to_currency} rate in force on "
                           f"{on.isoformat()}{first}", field="fx_rates")
        return self._rates[(from_currency, to_currency)][at - 1].rate


def translate(amount: Decimal, rate: Decimal, functional_currency: str) -> Decimal:
    """``amount`` in the functional currency: exact product, rounded half up once."""
    return round_money(_CALC.multiply(amount, rate), functional_currency)


def convert(amount: Decimal, rate: Decimal, markup_percent: Decimal, currency: str
            ) -> Decimal:
    """``amount`` converted at ``rate`` with ``markup_percent`` on top, in ``currency``: the
    exact product, rounded half up once (a line rounded twice could be a cent off the amount
    the customer re-computes from the line's original amount and rate)."""
    factor = _CALC.add(ONE, _CALC.divide(markup_percent, Decimal(100)))
    return round_money(_CALC.multiply(_CALC.multiply(amount, rate), factor), currency)


def translate_step(before: Decimal, amount: Decimal, rate: Decimal,
                   functional_currency: str) -> Decimal:
    """The functional value of adding ``amount`` to a running total that was ``before``.

    Translating the running total and taking the difference makes the parts of a whole (an
    entry's WIP relieved in pieces, an invoice credited in parts) add up to exactly the
    translation of the whole: the sum telescopes, so no cent is left behind in an account.
    """
    return (translate(before + amount, rate, functional_currency)
            - translate(before, rate, functional_currency))
