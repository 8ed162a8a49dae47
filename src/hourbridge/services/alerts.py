"""Alerts to webhooks: each alert that starts firing becomes an ``hourbridge.alert.raised.v1``
event for the subscriptions that want it, queued through the outbox in one transaction.

The event id is ``alert:<rule>:<subject>:<day>``: however many workers see the same alert,
and however often a crashed one checks again, a subscription gets it once per day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain.commands import RaiseAlerts

from .deps import Collaborators
from .events import envelope
from .ports.uow import UnitOfWork
from .webhooks import enqueue_deliveries

ALERT_RAISED = "hourbridge.alert.raised.v1"


def raise_alerts(cmd: RaiseAlerts, uow: UnitOfWork, now: datetime,
                 deps: Collaborators) -> dict[str, Any]:
    queued = 0
    with uow:
        for alert in cmd.alerts:
            key = f"alert:{alert['rule']}:{alert['subject']}:{now.date().isoformat()}"
            event = envelope(key[:190], ALERT_RAISED, f"alerts/{alert['rule']}", dict(alert),
                             now)
            queued += enqueue_deliveries(uow, event, now)
        uow.commit()
    return {"alerts": len(cmd.alerts), "deliveries_queued": queued}
