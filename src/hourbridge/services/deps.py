"""What bootstrap may plug into use cases beyond the unit of work: every use case takes
``(command, uow, now, deps)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .ports.connections import TrackerGateway
from .ports.deals import CrmGateway
from .ports.erp import ErpGateway, Sink
from .ports.webhooks import WebhookGateway
from .rows import BatchValidator


@dataclass(frozen=True)
class Collaborators:
    validator: BatchValidator | None = None  # intake validation; None: in this process
    trackers: TrackerGateway | None = None  # the connectors (sync); None: no connections
    webhooks: WebhookGateway | None = None  # signed outbound webhooks; None: none
    erp: Callable[[str], Sink] | None = None  # an ERP destination's sink by its name
    erps: ErpGateway | None = None  # the ERP sinks by destination (payments pull)
    crm: CrmGateway | None = None  # CRM connectors (won deals in); None: none


NO_DEPS = Collaborators()
