"""KPI arithmetic: reporting periods, percentiles of a histogram, working days, ratios.

Pure: the figures come in as arguments (``store.queries.kpis`` computes them set-based), the
formulas are written out in docs/KPIS.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hourbridge.errors import InvalidInput

AGING_BUCKETS = ("0-30", "31-60", "61-90", "90+")  # days since the work date
PERCENTILES = (50, 90)
RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period, both ends included; ``label`` as the user gave it."""

    label: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def parse_period(text: str) -> Period:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` (years 1900 to 2999); anything else is refused
    naming the forms."""
    if not (text[:4].isdigit() and 1900 <= int(text[:4]) <= 2999):
        raise InvalidInput(f"period {text!r}: give YYYY-MM, YYYY-Qn or YYYY (years 1900 to "
                           f"2999)")
    try:
        if len(text) == 7 and text[4] == "-" and text[5] != "Q":
            first = date(int(text[:4]), int(text[5:]), 1)
            return Period(text, first, _month_end(first, 1))
        if len(text) == 7 and text[4:6] == "-Q" and text[6] in "1234":
            first = date(int(text[:4]), 3 * (int(text[6]) - 1) + 1, 1)
            return Period(text, first, _month_end(first, 3))
        if len(text) == 4 and text.isdigit():
            return Period(text, date(int(text), 1, 1), date(int(text), 12, 31))
    except ValueError:
        pass
    raise InvalidInput(f"period {text!r}: give YYYY-MM, YYYY-Qn or YYYY")


def _month_end(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def percentile(histogram: Mapping[int, int], p: int) -> int | None:
    """Nearest-rank percentile of values given as {value: count}; None when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, -(-p * total // 100))  # ceil(p/100 * n)
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable")


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for h in histograms:
        for value, n in h.items():
            out[value] = out.get(value, 0) + n
    return out


def working_days(first: date, last: date, holidays: frozenset[date]) -> int:
    """Monday to Friday from ``first`` through ``last`` that are not public holidays."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    days = weeks * 5 + sum(1 for i in range(rest) if (first + timedelta(days=i)).weekday() < 5)
    return days - sum(1 for d in holidays if first <= d <= last and d.weekday() < 5)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator to four decimals; None when the denominator is zero."""
    if denominator == 0:
        return None
    return (numerator / denominator).quantize(RATIO, rounding=ROUND_HALF_UP)
