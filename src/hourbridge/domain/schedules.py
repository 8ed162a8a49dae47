"""Batch work beside the events: schedules named in a config file, each a cron expression and
an action (a tracker sync, a billing run, a revenue run, the payroll export, the warehouse
export). Pure: which tick of a schedule is due at a given moment, and what dates an action's
run at a tick covers.

Missed ticks: a worker that was down over several ticks runs the schedule once, for the latest
tick, not once per tick it missed (a billing run for each missed night would bill the same work
in pieces; the latest run covers what the missed ones would have).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from croniter import croniter

from .problems import Problem

# action -> the parameters it takes (anything else in a schedule is refused)
ACTIONS: Final[dict[str, frozenset[str]]] = {
    "sync": frozenset({"connection", "full"}),
    "publish": frozenset({"connection"}),
    "billing": frozenset({"entity"}),
    "revenue": frozenset({"entity"}),
    "payroll_export": frozenset({"folder", "entity", "format"}),
    "warehouse_export": frozenset({"folder"}),
}
REQUIRED: Final[dict[str, frozenset[str]]] = {
    "sync": frozenset({"connection"}),
    "publish": frozenset({"connection"}),
    "payroll_export": frozenset({"folder"}),
    "warehouse_export": frozenset({"folder"}),
}


@dataclass(frozen=True, slots=True)
class Schedule:
    """``cron`` in UTC (five fields, croniter's syntax); ``params`` as the action takes them."""

    name: str
    cron: str
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)


def check_schedule(s: Schedule, where: str) -> list[Problem]:
    """Every reason ``s`` cannot run, as values (none: it can)."""
    problems: list[Problem] = []
    if not s.name or not s.name.replace("-", "").replace("_", "").isalnum():
        problems.append(Problem("invalid_format", f"name {s.name!r}: letters, digits, - and _",
                                where, "name"))
    if not croniter.is_valid(s.cron) or len(s.cron.split()) != 5:
        problems.append(Problem("invalid_format", f"cron {s.cron!r} is not a five-field cron "
                                "expression", where, "cron"))
    if s.action not in ACTIONS:
        problems.append(Problem("invalid_format", f"action {s.action!r}: one of "
                                f"{', '.join(ACTIONS)}", where, "action"))
        return problems
    for unknown in sorted(set(s.params) - ACTIONS[s.action]):
        problems.append(Problem("invalid_format", f"{s.action} takes no {unknown!r} (takes "
                                f"{', '.join(sorted(ACTIONS[s.action])) or 'nothing'})",
                                where, unknown))
    for missing in sorted(REQUIRED.get(s.action, frozenset()) - set(s.params)):
        problems.append(Problem("invalid_format", f"{s.action} needs {missing!r}", where,
                                missing))
    return problems


def latest_tick(cron: str, now: datetime) -> datetime:
    """The last moment at or before ``now`` the expression names (UTC, whole minutes)."""
    at = now.astimezone(UTC).replace(second=0, microsecond=0)
    if croniter.match(cron, at):
        return at
    prev: datetime = croniter(cron, at).get_prev(datetime)
    return prev.astimezone(UTC)


def next_tick(cron: str, now: datetime) -> datetime:
    nxt: datetime = croniter(cron, now.astimezone(UTC)).get_next(datetime)
    return nxt.astimezone(UTC)


def due_tick(s: Schedule, now: datetime, last: datetime | None) -> datetime | None:
    """The tick to run now, or None: the latest tick at or before ``now`` if the schedule has
    not run it or a later one (so any number of missed ticks make one run)."""
    tick = latest_tick(s.cron, now)
    return None if last is not None and tick <= last else tick


@dataclass(frozen=True, slots=True)
class Window:
    """What a run at a tick covers: billing through the day before the tick, revenue, payroll
    and the warehouse the month before the tick's month (closed by then)."""

    through: date
    period: str
    period_from: date
    period_to: date


def window(tick: datetime) -> Window:
    day = tick.astimezone(UTC).date()
    month_end = day.replace(day=1) - timedelta(days=1)
    return Window(through=day - timedelta(days=1), period=month_end.strftime("%Y-%m"),
                  period_from=month_end.replace(day=1), period_to=month_end)
