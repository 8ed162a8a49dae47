"""Amounts as people and programs see them, the same on every database.

The store reads a NUMERIC(24, 8) column as ``19212.00000000`` on PostgreSQL and the exact
text ``19212.00`` on SQLite; the use cases add and subtract such values. Nothing printed by
the CLI or served by the API shows that difference: ``shown`` walks a report (dicts, lists,
``Decimal`` or decimal text) and writes

- money in its currency's minor units (``19212.00`` EUR, ``1200`` JPY, ``1.500`` KWD): the
  currency is the record's ``currency`` (``functional_currency`` for ``functional_*``
  amounts), or the key of a dict keyed by currency (``{"EUR": "400"}``);
- hours with two decimals, half up;
- rates (``rate``, ``*_rate``, ``*_percent``) as stored, without trailing zeros.

Money, hours and rates are told apart by their keys (``is_money_key``); every other decimal
is written without trailing zeros. Formatting a shown value again changes nothing.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .money import is_currency, round_money

# Keys whose values are amounts of money (a dict under one: amounts per currency or per kind).
MONEY_KEYS = frozenset({
    "net", "tax", "total", "amount", "debit", "credit", "balance", "difference", "wip",
    "totals", "billed", "recognised", "deferred", "unbilled", "value", "cost", "price",
    "fee", "net_delta", "wip_delta", "wip_relieved", "wip_restored", "wip_amount",
    "billable_amount", "old_amount", "new_amount", "invoiced_amount", "monthly_fee",
    "recognised_this_run", "recognised_to_date", "billed_to_date", "functional_amount",
    "functional_balance",
})
_TWO = Decimal("0.01")


def is_rate_key(key: str) -> bool:
    return key == "rate" or key.endswith(("_rate", "_percent"))


def is_hours_key(key: str) -> bool:
    return key == "hours" or key.endswith("_hours")


def is_money_key(key: str) -> bool:
    return key in MONEY_KEYS or key.endswith(("_amount", "_fee", "_total", "_wip"))


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str) and value and value.strip() == value:
        try:
            d = Decimal(value)
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    return None


def plain_text(value: Decimal) -> str:
    """Without trailing zeros or exponent: ``150.00000000`` is ``150``."""
    out = format(value.normalize(), "f")
    return "0" if out in ("-0", "0") else out


def hours_text(value: Decimal) -> str:
    """Hours shown: two decimals, half up."""
    return format(value.quantize(_TWO, rounding=ROUND_HALF_UP) + 0, "f")


def money_text(value: Decimal, currency: str | None) -> str:
    """In the minor units of ``currency``; without a known currency, at least two decimals
    (what the value carries beyond them is kept)."""
    if currency is not None and is_currency(currency):
        out = round_money(value, currency) + 0  # + 0: no negative zero
        return format(out, "f")
    return two_or_more(value)


def two_or_more(value: Decimal) -> str:
    """At least two decimals, more only where the value has them: ``150.00000000`` and
    ``150`` are ``150.00``, ``95.125`` stays (a rate in running text, an amount without its
    currency)."""
    norm = value.normalize()
    if norm.as_tuple().exponent > -2:  # type: ignore[operator]
        norm = norm.quantize(_TWO)
    return format(norm + 0, "f")


def shown(data: Any, currency: str | None = None, *, key: str = "",
          money: bool = False, functional: str | None = None) -> Any:
    """``data`` with every amount written as above (a new structure; ``data`` is unchanged).

    ``currency`` is the currency of the enclosing record, ``money`` says the enclosing key
    named an amount (so a nested dict holds amounts), ``functional`` the enclosing record's
    functional currency.
    """
    if isinstance(data, dict):
        cur = data.get("currency")
        here = cur if isinstance(cur, str) and is_currency(cur) else currency
        fc = data.get("functional_currency")
        func = fc if isinstance(fc, str) and is_currency(fc) else functional
        out: dict[Any, Any] = {}
        for k, v in data.items():
            name = str(k)
            if is_currency(name):  # amounts per currency
                out[k] = shown(v, name, key=name, money=True, functional=func)
            elif name.startswith("functional_") and is_money_key(name):
                out[k] = shown(v, func, key=name, money=True, functional=func)
            else:
                out[k] = shown(v, here, key=name, money=money or is_money_key(name),
                               functional=func)
        return out
    if isinstance(data, list | tuple):
        return [shown(v, currency, key=key, money=money, functional=functional)
                for v in data]
    value = _decimal(data)
    if value is None:
        return data
    if isinstance(data, int) and not (is_money_key(key) or is_currency(key)):
        return data  # counts, ids, seconds
    if is_rate_key(key):
        return plain_text(value) if isinstance(data, Decimal) else data
    if is_hours_key(key):
        return hours_text(value)
    if money:
        if (currency is None or not is_currency(currency)) and not isinstance(data, Decimal):
            return data  # text without its currency: shown already, or left as it came
        return money_text(value, currency)
    return plain_text(value) if isinstance(data, Decimal) else data
