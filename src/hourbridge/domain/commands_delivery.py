"""Commands of delivery: ERP sinks, outbound webhooks, dead letters and alerts (re-exported
by ``domain.commands``, where every use case looks them up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


# --- ERP sinks (domain/erp.py) ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LoadErpProfiles:
    """Upsert ERP profiles (``erp_profiles`` section); ``origins`` names where each was read
    (``file:erp_profiles[i]``) so that a problem names its field there."""

    profiles: tuple[Any, ...]  # domain.erp.ErpProfile
    origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueErpPush:
    """Queue every issued document of ``entity`` (None: all) not yet queued for the ERPs
    its profiles name (``destination``: only that one)."""

    entity: str | None = None
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class ShowErpPostings:
    destination: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class PullErpCustomers:
    """Read ``destination``'s customers into the identity map (domain.erp_identity)."""

    destination: str


@dataclass(frozen=True, slots=True)
class ShowErpIdentity:
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class PullErpProjects:
    """Read ``destination``'s projects into the identity map (domain.erp_identity)."""

    destination: str


@dataclass(frozen=True, slots=True)
class ShowErpProjects:
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class PullErpPayments:
    """Read the payment state of every document posted to ``destination`` (None: every
    destination) and record the payments not recorded yet."""

    destination: str | None = None


@dataclass(frozen=True, slots=True)
class CheckErp:
    """Ask each ERP of ``entity`` (only ``destination``) whether it has what the profile
    names."""

    entity: str
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class QueuePaymentsPull:
    """Queue a payments pull for the worker; ``slot`` (a schedule's run time) makes firing
    the same slot twice queue once."""

    destination: str | None = None
    slot: str | None = None


# --- outbound webhooks and dead letters (issue 12) ----------------------------------------
@dataclass(frozen=True, slots=True)
class AddWebhook:
    """Subscribe ``url`` to ``event_types`` (``*``: all); ``secret`` is a ``whsec_`` secret,
    or None to have one made (shown once, in the result)."""

    name: str
    url: str
    event_types: tuple[str, ...]
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class RemoveWebhook:
    name: str


@dataclass(frozen=True, slots=True)
class ListWebhooks:
    pass


@dataclass(frozen=True, slots=True)
class TestWebhook:
    """Send one signed ``hourbridge.webhook.test.v1`` event now, outside the outbox."""

    name: str


@dataclass(frozen=True, slots=True)
class ReplayDeadLetters:
    """Put dead letters back in the outbox under their original keys: the given ``ids``, or
    every one that died of ``reason`` and/or at or after ``since``. ``by`` and ``note`` are
    kept in the audit of each replay."""

    ids: tuple[int, ...] = ()
    reason: str | None = None
    since: datetime | None = None
    by: str = ""
    note: str = ""
    # the legal entities the caller may see (None: all); others' dead letters are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class RaiseAlerts:
    """Send alerts that started firing (``domain.alerts.Alert.as_dict()``) to the webhook
    subscriptions of ``hourbridge.alert.raised.v1``."""

    alerts: tuple[dict[str, Any], ...]
