"""The worker's alert check, one code path for every worker: the standalone ``hourbridge
worker`` and the in-process worker of ``hourbridge serve`` (``Hourbridge.alert_watch``).

Every ``interval`` seconds (a monotonic clock, injectable for tests) the rules are measured
against the database at the injected business clock; alerts that start firing are logged once
(``AlertLog``) and handed to ``raise_alerts`` (``RaiseAlerts`` through the outbox: webhook
subscriptions get each once per rule, subject and day), cleared ones logged. A busy database
postpones the check to the next round; a broken rules file turns alerts off, not deliveries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hourbridge.domain.alerts import Alert, Rule
from hourbridge.errors import Retryable
from hourbridge.observability.alerts import AlertFigures, AlertLog, check_alerts


class AlertWatch:
    def __init__(self, figures: AlertFigures, rules: Sequence[Rule], interval: float,
                 clock: Callable[[], datetime],
                 raise_alerts: Callable[[tuple[dict[str, Any], ...]], Any], *,
                 say: Callable[[str], None] = lambda line: None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.figures, self.rules, self.interval = figures, tuple(rules), interval
        self.clock, self.raise_alerts, self.say = clock, raise_alerts, say
        self.monotonic = monotonic
        self.due = float("-inf")
        self.log = AlertLog()
        self.checks = 0
        self._lock = threading.Lock()  # serve: request drains and the ticker share one watch

    def check(self) -> list[Alert] | None:
        """Measure the rules if due; the alerts that started firing (None: not due)."""
        if not self.rules:
            return None
        with self._lock:
            if self.monotonic() < self.due:
                return None
            self.due = self.monotonic() + self.interval
            self.checks += 1
            try:
                raised = self.log.update(check_alerts(self.figures, self.rules, self.clock()))
                if raised:
                    self.raise_alerts(tuple(a.as_dict() for a in raised))
            except Retryable as exc:  # busy: the next check sees the same alerts again
                self.say(f"alert check postponed: {exc}")
                return []
            return raised
