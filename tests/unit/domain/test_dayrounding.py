"""Per-day rounding: the day is rounded once and its entries share it exactly."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.dayrounding import DayMember, allocate_day, round_day, spread
from hourbridge.domain.model import RoundingMode, RoundingPer, RoundingPolicy
from hourbridge.domain.rounding import billable_seconds

M = 60
UP, NEAREST, DOWN = RoundingMode.UP, RoundingMode.NEAREST, RoundingMode.DOWN


def day(increment: int, mode: RoundingMode, minimum: int = 0) -> RoundingPolicy:
    return RoundingPolicy(increment, mode, minimum, RoundingPer.DAY)


def members(*worked: int) -> list[DayMember]:
    return [DayMember(i + 1, ("harvest", f"x{i + 1:03d}", i + 1), w)
            for i, w in enumerate(worked)]


def test_the_day_is_rounded_once_not_each_entry() -> None:
    # three 10-minute entries: per entry 3 x 15 = 45 minutes, per day 30 -> 30 minutes
    allocation = allocate_day(members(10 * M, 10 * M, 10 * M), day(15, UP))
    assert allocation.rounded_day == 30 * M
    assert sum(allocation.billable.values()) == 30 * M
    assert sorted(allocation.billable.values()) == [0, 15 * M, 15 * M]
    assert all(v % (15 * M) == 0 for v in allocation.billable.values())


def test_minimum_applies_to_the_day() -> None:
    allocation = allocate_day(members(5 * M, 5 * M), day(15, UP, minimum=60))
    assert allocation.rounded_day == 60 * M
    assert sum(allocation.billable.values()) == 60 * M
    assert allocation.billable == {1: 30 * M, 2: 30 * M}


def test_billed_entries_keep_their_seconds_and_the_rest_lands_on_open_ones() -> None:
    billed = DayMember(1, ("h", "a", 1), 10 * M, fixed_seconds=15 * M)
    late = DayMember(2, ("h", "b", 2), 10 * M)
    allocation = allocate_day([billed, late], day(15, UP))
    assert allocation.billable == {1: 15 * M, 2: 15 * M}  # day 20 min -> 30 min
    smaller = allocate_day([billed, DayMember(2, ("h", "b", 2), 2 * M)], day(15, NEAREST))
    assert smaller.billable == {1: 15 * M, 2: 0}  # day 12 min -> 15 min, all billed already


def test_billed_beyond_the_rounded_day_is_reported_not_taken_back() -> None:
    billed = DayMember(1, ("h", "a", 1), 20 * M, fixed_seconds=60 * M)
    allocation = allocate_day([billed, DayMember(2, ("h", "b", 2), 5 * M)], day(15, UP))
    assert allocation.billable == {1: 60 * M, 2: 0}
    assert allocation.overbilled_seconds == 30 * M


def test_manual_adjustments_ride_on_top_of_the_share() -> None:
    written_down = DayMember(1, ("h", "a", 1), 30 * M, manual_delta=-15 * M)
    other = DayMember(2, ("h", "b", 2), 30 * M)
    allocation = allocate_day([written_down, other], day(15, UP))
    assert allocation.billable == {1: 15 * M, 2: 30 * M}
    # a billed entry's write-down is not made up for by the others
    billed = DayMember(1, ("h", "a", 1), 30 * M, fixed_seconds=15 * M, manual_delta=-15 * M)
    assert allocate_day([billed, other], day(15, UP)).billable == {1: 15 * M, 2: 30 * M}
    # a write-down larger than the share bills nothing, never less
    assert allocate_day([DayMember(1, ("h", "a", 1), 10 * M, manual_delta=-60 * M)],
                        day(15, UP)).billable == {1: 0}


def test_spread_in_whole_steps_or_seconds() -> None:
    assert spread(45 * M, [1, 1, 1], 15 * M) == [15 * M, 15 * M, 15 * M]
    assert sum(spread(100, [3, 3, 3], 15 * M)) == 100  # not a whole step: single seconds
    assert spread(0, [5, 7], 60) == [0, 0]
    assert spread(10, [], 60) == []


policies = st.builds(day, increment=st.sampled_from([1, 5, 6, 10, 15, 30, 60]),
                     mode=st.sampled_from(list(RoundingMode)),
                     minimum=st.integers(min_value=0, max_value=120))
worked_days = st.lists(st.integers(min_value=1, max_value=12 * 3600), min_size=1, max_size=12)


@given(worked=worked_days, policy=policies)
def test_allocation_sums_to_the_rounded_day_total(worked: list[int],
                                                  policy: RoundingPolicy) -> None:
    allocation = allocate_day(members(*worked), policy)
    expected = billable_seconds(sum(worked), policy)
    assert allocation.rounded_day == expected == round_day(worked, policy)
    assert sum(allocation.billable.values()) == expected
    assert all(v >= 0 for v in allocation.billable.values())
    assert allocation.overbilled_seconds == 0
    step = policy.increment_minutes * M
    if expected % step == 0:  # whole increments per entry whenever the day is whole steps
        assert all(v % step == 0 for v in allocation.billable.values())


@given(worked=worked_days, policy=policies, seed=st.integers(min_value=0, max_value=2**32))
def test_allocation_does_not_depend_on_arrival_order(worked: list[int], policy: RoundingPolicy,
                                                     seed: int) -> None:
    given_order = members(*worked)
    shuffled = list(given_order)
    random.Random(seed).shuffle(shuffled)
    first, second = allocate_day(given_order, policy), allocate_day(shuffled, policy)
    assert first.billable == second.billable
    assert sum(second.billable.values()) == billable_seconds(sum(worked), policy)


@given(worked=worked_days, policy=policies)
def test_minimum_is_the_floor_of_a_day(worked: list[int], policy: RoundingPolicy) -> None:
    allocation = allocate_day(members(*worked), policy)
    assert sum(allocation.billable.values()) >= policy.minimum_minutes * M
    without = RoundingPolicy(policy.increment_minutes, policy.mode, 0, RoundingPer.DAY)
    plain = allocate_day(members(*worked), without).rounded_day
    assert allocation.rounded_day == max(plain, policy.minimum_minutes * M)


@given(worked=worked_days, policy=policies, billed=st.data())
def test_billed_entries_never_move(worked: list[int], policy: RoundingPolicy,
                                   billed: st.DataObject) -> None:
    plain = members(*worked)
    before = allocate_day(plain, policy)
    fixed_ids = billed.draw(st.sets(st.sampled_from([m.entry_id for m in plain])))
    late = billed.draw(st.integers(min_value=1, max_value=8 * 3600))
    frozen = [DayMember(m.entry_id, m.order, m.worked_seconds,
                        before.billable[m.entry_id] if m.entry_id in fixed_ids else None)
              for m in plain] + [DayMember(99, ("z", "late", 99), late)]
    after = allocate_day(frozen, policy)
    for i in fixed_ids:
        assert after.billable[i] == before.billable[i]
    total = billable_seconds(sum(worked) + late, policy)
    # the day grew, so the billed part never exceeds it: the open entries take the rest
    assert sum(after.billable.values()) == total and after.overbilled_seconds == 0
