"""Worked seconds to billable seconds under a contract's rounding policy.

Worked time is never rewritten: this returns a second number stored beside it. Rounding is per
entry by default because customers audit invoices line by line against the tracker; a contract
version with ``per: day`` rounds an employee's day instead (``dayrounding``), with this same
function applied to the day total.
"""

from __future__ import annotations

from .model import RoundingMode, RoundingPolicy


def billable_seconds(worked_seconds: int, policy: RoundingPolicy) -> int:
    if worked_seconds <= 0:
        return 0
    step = policy.increment_minutes * 60
    if step <= 0:
        rounded = worked_seconds
    else:
        whole, rest = divmod(worked_seconds, step)
        if policy.mode is RoundingMode.UP:
            rounded = (whole + (1 if rest else 0)) * step
        elif policy.mode is RoundingMode.DOWN:
            rounded = whole * step
        else:  # nearest, half up: 7m30s on a 15-minute step becomes 15 minutes
            rounded = (whole + (1 if rest * 2 >= step else 0)) * step
    return max(rounded, policy.minimum_minutes * 60)
