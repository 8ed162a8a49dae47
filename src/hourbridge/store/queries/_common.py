"""Shared by the read-side queries: JSON-ready values, money, hours, periods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine

from hourbridge.domain.money import hours, round_money
from hourbridge.errors import InvalidInput


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM period; anything else is refused, naming the field."""
    try:
        if len(period) != 7 or period[4] != "-":
            raise ValueError
        first = date(int(period[:4]), int(period[5:]), 1)
    except ValueError:
        raise InvalidInput(f"period {period!r} is not YYYY-MM") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _hours(seconds: int) -> str:
    """Hours to show, two decimals half up (the seconds beside them are exact)."""
    return str(hours(seconds).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: NUMERIC(24, 8) gives 150.00000000."""
    return format(value.normalize(), "f") if value == value else str(value)


def money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else str(round_money(value, currency))


def _money_fields(row: dict[str, Any], fields: tuple[str, ...], currency: str) -> dict[str, Any]:
    for f in fields:
        if row.get(f) is not None:
            row[f] = money(Decimal(row[f]), currency)
    return row


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, str | int | bool):
        return value.value
    return value


class QueryBase:
    """Every query mixin reads through ``engine``, one connection per call."""

    engine: Engine
