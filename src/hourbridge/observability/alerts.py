"""SLA monitors and business alerts: the rules (a YAML file, ``HOURBRIDGE_ALERT_RULES`` or
``--rules``; the built-in ``DEFAULT_RULES`` otherwise), checked against the database.

``check_alerts`` measures every rule (``store.queries.alerts``) and returns the alerts that
fire now. Where they go: the log (``AlertLog``, raised and cleared once per process), the
webhook subscriptions of ``hourbridge.alert.raised.v1`` (``services.alerts``, through the
outbox, once per rule, subject and day) and the dashboard (``/dashboard/alerts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from hourbridge.domain.alerts import DEFAULT_RULES, Alert, Breach, Rule, alerts_for, parse_rules
from hourbridge.errors import InvalidInput

from .logging import logger


class AlertFigures(Protocol):
    def alert_breaches(self, rule: Rule, now: datetime) -> list[Breach]: ...


def load_rules(path: str | Path | None) -> tuple[Rule, ...]:
    """The rules of the YAML file at ``path``; the built-in rules without one."""
    if not path:
        return parse_rules({"rules": list(DEFAULT_RULES)}, "built-in rules")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"alert rules {path}: cannot read ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"alert rules {path}: not YAML ({exc})") from None
    return parse_rules(data, f"alert rules {path}")


def check_alerts(figures: AlertFigures, rules: Sequence[Rule], now: datetime) -> list[Alert]:
    out: list[Alert] = []
    for rule in rules:
        out += alerts_for(rule, figures.alert_breaches(rule, now))
    return out


class AlertLog:
    """Logs an alert when it starts firing and when it clears, not on every check."""

    def __init__(self) -> None:
        self.firing: dict[tuple[str, str], Alert] = {}
        self.log = logger("hourbridge.alerts")

    def update(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Log the changes; return the alerts that started firing."""
        now = {(a.rule, a.subject): a for a in alerts}
        raised = [a for k, a in now.items() if k not in self.firing]
        for a in raised:
            log: Any = self.log.critical if a.severity == "critical" else self.log.warning
            log("alert raised", **a.as_dict())
        for key, a in self.firing.items():
            if key not in now:
                self.log.warning("alert cleared", rule=a.rule, subject=a.subject)
        self.firing = now
        return raised
