from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.model import RoundingMode, RoundingPolicy
from hourbridge.domain.rounding import billable_seconds

UP, NEAREST, DOWN = RoundingMode.UP, RoundingMode.NEAREST, RoundingMode.DOWN
M = 60  # seconds per minute


@pytest.mark.parametrize(
    ("worked", "increment", "mode", "expected"),
    [
        # 15-minute steps
        (1, 15, UP, 15 * M),
        (15 * M, 15, UP, 15 * M),
        (15 * M + 1, 15, UP, 30 * M),
        (1, 15, DOWN, 0),
        (29 * M + 59, 15, DOWN, 15 * M),
        (30 * M, 15, DOWN, 30 * M),
        (7 * M + 29, 15, NEAREST, 0),
        (7 * M + 30, 15, NEAREST, 15 * M),  # exactly half: half-up
        (22 * M + 29, 15, NEAREST, 15 * M),
        (22 * M + 30, 15, NEAREST, 30 * M),
        (60 * M, 15, NEAREST, 60 * M),
        # 6-minute steps (tenths of an hour)
        (1, 6, UP, 6 * M),
        (6 * M, 6, UP, 6 * M),
        (6 * M + 1, 6, UP, 12 * M),
        (11 * M + 59, 6, DOWN, 6 * M),
        (2 * M + 59, 6, NEAREST, 0),
        (3 * M, 6, NEAREST, 6 * M),
        (8 * M + 59, 6, NEAREST, 6 * M),
        (9 * M, 6, NEAREST, 12 * M),
        # 1-minute steps round to whole minutes
        (61, 1, UP, 2 * M),
        (61, 1, DOWN, M),
        (89, 1, NEAREST, M),
        (90, 1, NEAREST, 2 * M),
    ],
)
def test_rounding_table(worked: int, increment: int, mode: RoundingMode, expected: int) -> None:
    assert billable_seconds(worked, RoundingPolicy(increment, mode)) == expected


@pytest.mark.parametrize(
    ("worked", "policy", "expected"),
    [
        (1, RoundingPolicy(15, DOWN, 30), 30 * M),
        (1, RoundingPolicy(15, UP, 30), 30 * M),
        (31 * M, RoundingPolicy(15, UP, 30), 45 * M),
        (5 * M, RoundingPolicy(6, NEAREST, 10), 10 * M),  # minimum not a multiple of the step
        (11 * M, RoundingPolicy(6, NEAREST, 10), 12 * M),
        (60 * M, RoundingPolicy(15, DOWN, 30), 60 * M),
    ],
)
def test_minimum_minutes(worked: int, policy: RoundingPolicy, expected: int) -> None:
    assert billable_seconds(worked, policy) == expected


@pytest.mark.parametrize("worked", [0, -1, -3600])
@pytest.mark.parametrize("mode", list(RoundingMode))
def test_nothing_worked_bills_nothing_even_with_minimum(worked: int, mode: RoundingMode) -> None:
    assert billable_seconds(worked, RoundingPolicy(15, mode, 30)) == 0


def test_default_policy_rounds_up_to_whole_minutes() -> None:
    assert billable_seconds(1, RoundingPolicy()) == M
    assert billable_seconds(3600, RoundingPolicy()) == 3600


policies = st.builds(
    RoundingPolicy,
    increment_minutes=st.sampled_from([1, 5, 6, 10, 15, 30, 60]),
    mode=st.sampled_from(list(RoundingMode)),
    minimum_minutes=st.integers(min_value=0, max_value=120),
)
worked_seconds = st.integers(min_value=1, max_value=24 * 3600)


@given(worked=worked_seconds, policy=policies)
def test_rounding_properties(worked: int, policy: RoundingPolicy) -> None:
    step = policy.increment_minutes * M
    minimum = policy.minimum_minutes * M
    result = billable_seconds(worked, policy)
    assert result >= minimum
    assert result >= 0
    if result != minimum or minimum % step == 0:
        assert result % step == 0
    plain = billable_seconds(worked, RoundingPolicy(policy.increment_minutes, policy.mode))
    assert result == max(plain, minimum)
    if policy.mode is UP:
        assert worked <= plain < worked + step
    elif policy.mode is DOWN:
        assert worked - step < plain <= worked
    else:
        assert abs(plain - worked) * 2 <= step


@given(worked=worked_seconds, policy=policies)
def test_rounding_is_idempotent(worked: int, policy: RoundingPolicy) -> None:
    once = billable_seconds(worked, policy)
    no_minimum = RoundingPolicy(policy.increment_minutes, policy.mode)
    if once % (policy.increment_minutes * M) == 0:
        assert billable_seconds(once, no_minimum) == once
    plain = billable_seconds(worked, no_minimum)
    assert billable_seconds(plain, no_minimum) == plain


@given(a=worked_seconds, b=worked_seconds, policy=policies)
def test_rounding_is_monotonic(a: int, b: int, policy: RoundingPolicy) -> None:
    lo, hi = sorted((a, b))
    assert billable_seconds(lo, policy) <= billable_seconds(hi, policy)
