"""Commands of CRM won deals (issue 11 item 8; re-exported by ``domain.commands``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class AddCrmConnection:
    """A CRM org to take won deals from: ``secret`` (a ``commands.Secret``) holds the OAuth
    client's ``client_id`` and ``client_secret`` (or a JWT bearer ``private_key`` and
    ``username``) and the ``webhook_secret`` pushed events are signed with; sealed at rest."""

    name: str
    crm: str  # salesforce
    base_url: str  # the org's My Domain URL (https://<domain>.my.salesforce.com)
    secret: Any = field(repr=False)


@dataclass(frozen=True, slots=True)
class PullDeals:
    """Take the connection's opportunities won since its cursor (``full``: all)."""

    connection: str
    full: bool = False


@dataclass(frozen=True, slots=True)
class ReceiveCrmEvent:
    """A pushed CRM event as it arrived (a change event, a platform event, an outbound
    message): header names lower-case, the raw body, the URL's ``token`` when given."""

    connection: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)
    token: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ShowDeals:
    state: str | None = None  # proposed | exception | confirmed | rejected
    after: str | None = None  # the opportunity id the previous page ended with
    limit: int = 100


@dataclass(frozen=True, slots=True)
class ShowDeal:
    opportunity_id: str


@dataclass(frozen=True, slots=True)
class ConfirmDeal:
    """Make the deal's draft a live contract: ``rates`` replace proposed line prices (line
    id -> price); ``customer`` names the customer of an ambiguous account (or overrides the
    match); ``entity`` the legal entity when the firm has several."""

    opportunity_id: str
    actor: str
    rates: tuple[tuple[str, Decimal], ...] = ()
    customer: str | None = None
    entity: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class RejectDeal:
    opportunity_id: str
    actor: str
    note: str = ""
