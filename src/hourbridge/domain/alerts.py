"""SLA monitors and business alerts: rules as data, and whether what was measured breaks one.

A rule names a monitor and a threshold; the store measures each monitor (``store.queries.
alerts``) as items past the threshold; a rule fires per subject with at least one. Pure: rules
come parsed from the configuration file, measurements and the clock as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from hourbridge.errors import InvalidInput

# monitor -> (threshold unit, what is measured)
MONITORS: dict[str, tuple[str, str]] = {
    "approval_propagation": ("seconds", "approval journals (WIP bookings) not delivered "
                                        "within the threshold"),
    "time_to_post": ("hours", "issued invoices of an entity with an ERP profile not posted "
                              "within the threshold"),
    "outbox_lag": ("seconds", "outbox events due longer than the threshold"),
    "dead_letters": ("count", "dead letters (more than the threshold)"),
    "wip_age": ("days", "approved unbilled entries older than the threshold"),
    "stalled_sync": ("minutes", "tracker connections not synced within the threshold"),
}
SEVERITIES = ("warning", "critical")

DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"name": "approval-propagation", "monitor": "approval_propagation", "threshold": 300},
    {"name": "time-to-post", "monitor": "time_to_post", "threshold": 24},
    {"name": "outbox-lag", "monitor": "outbox_lag", "threshold": 600},
    {"name": "dead-letters", "monitor": "dead_letters", "threshold": 0,
     "severity": "critical"},
    {"name": "old-wip", "monitor": "wip_age", "threshold": 90},
    {"name": "stalled-sync", "monitor": "stalled_sync", "threshold": 120},
)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    monitor: str
    threshold: Decimal
    severity: str = "warning"

    @property
    def unit(self) -> str:
        return MONITORS[self.monitor][0]


@dataclass(frozen=True, slots=True)
class Breach:
    """Items of one subject past a rule's threshold, as the store measured them."""

    subject: str
    count: int
    worst: Decimal  # the oldest item's age in the rule's unit (the count for dead_letters)


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    monitor: str
    severity: str
    subject: str
    count: int
    worst: Decimal
    threshold: Decimal
    unit: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "monitor": self.monitor, "severity": self.severity,
                "subject": self.subject, "count": self.count, "worst": str(self.worst),
                "threshold": str(self.threshold), "unit": self.unit, "message": self.message}


def parse_rules(data: Any, where: str) -> tuple[Rule, ...]:
    """Rules from a parsed configuration: ``{"rules": [{name, monitor, threshold,
    severity?}, ...]}``; anything else is refused naming ``where`` and the rule."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise InvalidInput(f"{where}: expected a mapping with a list 'rules'")
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        at = f"{where}: rules[{i}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput(f"{at}: expected a mapping")
        unknown = set(raw) - {"name", "monitor", "threshold", "severity"}
        if unknown:
            raise InvalidInput(f"{at}: unknown key {sorted(unknown)[0]!r}")
        name, monitor = str(raw.get("name") or ""), raw.get("monitor")
        if not name:
            raise InvalidInput(f"{at}.name: required")
        if monitor not in MONITORS:
            raise InvalidInput(f"{at}.monitor: {monitor!r} is not one of "
                               f"{', '.join(MONITORS)}")
        try:
            threshold = Decimal(str(raw.get("threshold")))
        except InvalidOperation:
            threshold = Decimal(-1)
        if not threshold.is_finite() or threshold < 0:
            raise InvalidInput(f"{at}.threshold: a number >= 0 "
                               f"({MONITORS[str(monitor)][0]})")
        severity = raw.get("severity", "warning")
        if severity not in SEVERITIES:
            raise InvalidInput(f"{at}.severity: one of {', '.join(SEVERITIES)}")
        if any(r.name == name for r in rules):
            raise InvalidInput(f"{at}.name: {name!r} twice")
        rules.append(Rule(name, str(monitor), threshold, str(severity)))
    return tuple(rules)


def alerts_for(rule: Rule, breaches: Sequence[Breach]) -> list[Alert]:
    """One alert per subject with items past the threshold."""
    out = []
    for b in breaches:
        if b.count <= 0:
            continue
        what = MONITORS[rule.monitor][1]
        message = (f"{b.count} {what} ({rule.threshold} {rule.unit})" if rule.unit == "count"
                   else f"{b.count} {what} ({rule.threshold} {rule.unit}); the oldest "
                   f"{b.worst} {rule.unit}")
        out.append(Alert(rule.name, rule.monitor, rule.severity, b.subject, b.count, b.worst,
                         rule.threshold, rule.unit, f"{b.subject}: {message}"))
    return out
