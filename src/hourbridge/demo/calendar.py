"""Date helpers for the demo: months, working days and public holidays per entity."""

from __future__ import annotations

from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def holidays(entity: str, year: int) -> tuple[date, ...]:
    """Firm-wide days off: US federal holidays the firm observes, German national holidays."""
    if entity == "US":
        return (date(year, 1, 1), date(year, 7, 4), _nth_weekday(year, 9, 0, 1),
                _nth_weekday(year, 11, 3, 4), _nth_weekday(year, 11, 3, 4) + timedelta(days=1),
                date(year, 12, 25))
    return (date(year, 1, 1), date(year, 5, 1), date(year, 10, 3), date(year, 12, 25),
            date(year, 12, 26))


def workdays(entity: str, first: date, last: date) -> list[date]:
    """Monday to Friday from ``first`` through ``last``, without the entity's holidays."""
    off = {d for y in range(first.year, last.year + 1) for d in holidays(entity, y)}
    out: list[date] = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in off:
            out.append(day)
        day += timedelta(days=1)
    return out
