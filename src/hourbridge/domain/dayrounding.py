"""Per-day rounding: an employee's work on one contract on one local work date is billed as
the rounded day total, allocated across that day's entries.

The day total (worked seconds of every live billable entry of the day) is rounded once, with
the contract version's increment, mode and minimum (the minimum applies to the day, the unit
that is rounded). The result is spread over the entries in a stable order (source, external
id, id) by cumulative rounding: entry k gets ``F*c_k/W - F*c_{k-1}/W`` rounded, where ``c`` is
the running sum of worked seconds, so the shares add up to the day exactly and the shares do
not depend on the order in which entries arrived. Whole increments are handed out when the
amount to spread is a whole number of increments (the usual case), single seconds otherwise.

Entries already billed (on a draft, invoiced, credited or written off) are fixed: their
invoice stands. They keep their seconds and the rest of the rounded day goes to the open
entries. If the fixed entries already hold more than the rounded day (a later revision made
the day shorter), the open entries get zero and the excess stays billed, reported as
``overbilled_seconds`` (a credit note is the way to give it back). When every entry of the
day is billed nothing moves; a late entry on such a day is its only open entry and bills what
the day gained (rounded day with it, minus what is billed).

Manual write-ups and write-downs (``adjustments``) ride on top of the share: an entry bills
``max(0, share + manual delta)``, so a recompute never erases what a person decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .model import RoundingPolicy
from .rounding import billable_seconds


@dataclass(frozen=True, slots=True)
class DayMember:
    """One entry of a day as the allocation sees it."""

    entry_id: int
    order: tuple[str, str, int]  # (source, external id, id): stable across arrivals
    worked_seconds: int
    fixed_seconds: int | None = None  # billed seconds that may no longer move
    manual_delta: int = 0  # sum of write-ups (+) and write-downs (-) of this entry


@dataclass(frozen=True, slots=True)
class DayAllocation:
    rounded_day: int
    billable: dict[int, int]  # entry id -> billable seconds (fixed entries included)
    overbilled_seconds: int = 0


def round_day(worked_seconds: Sequence[int], policy: RoundingPolicy) -> int:
    """The day total under the policy; a day without worked time bills nothing."""
    return billable_seconds(sum(worked_seconds), policy)


def spread(amount: int, weights: Sequence[int], step: int) -> list[int]:
    """``amount`` split over ``weights`` by cumulative rounding (half up), in whole ``step``s
    when ``amount`` is a multiple of ``step``: the parts are >= 0 and sum to ``amount``."""
    if not weights:
        return []
    unit = step if step > 0 and amount % step == 0 else 1
    units = amount // unit
    total = sum(weights)
    if total <= 0:  # no worked time to weigh by: the last entry takes it all
        return [0] * (len(weights) - 1) + [amount]
    parts: list[int] = []
    running = 0
    before = 0
    for w in weights:
        running += w
        # round(units * running / total) half up, in integers
        upto = (2 * units * running + total) // (2 * total)
        parts.append((upto - before) * unit)
        before = upto
    return parts


def allocate_day(members: Sequence[DayMember], policy: RoundingPolicy) -> DayAllocation:
    ordered = sorted(members, key=lambda m: m.order)
    rounded = round_day([m.worked_seconds for m in ordered], policy)
    fixed = [m for m in ordered if m.fixed_seconds is not None]
    free = [m for m in ordered if m.fixed_seconds is None]
    # a fixed entry holds its share of the day; its own write-ups/downs are not the others' to
    # make up for
    held = sum((m.fixed_seconds or 0) - m.manual_delta for m in fixed)
    left = max(rounded - held, 0)
    shares = spread(left, [m.worked_seconds for m in free], policy.increment_minutes * 60)
    billable = {m.entry_id: m.fixed_seconds or 0 for m in fixed}
    for m, share in zip(free, shares, strict=True):
        billable[m.entry_id] = max(share + m.manual_delta, 0)
    return DayAllocation(rounded, billable, max(held - rounded, 0))
