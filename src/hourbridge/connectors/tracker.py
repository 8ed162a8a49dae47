"""A tracker connector as one value: what ``connectors/<name>/`` declares."""

from __future__ import annotations

from dataclasses import dataclass

from .http import AuthStyle
from .stream import FieldMap, Stream
from .webhook import Webhook


@dataclass(frozen=True, slots=True)
class Tracker:
    """``name`` is the ``--format`` and connection kind; ``rate`` is the client-side window
    (requests, seconds) the tracker documents, ``None`` when it publishes none."""

    name: str
    base_url: str
    auth: AuthStyle
    time_entries: Stream
    fields: FieldMap
    rate: tuple[int, float] | None = None
    # the secret's parts a connection needs besides ``token`` (Harvest: the account id)
    secret_parts: tuple[str, ...] = ("token",)
    # how its webhook deliveries are signed; None: it sends none (Harvest v2, Kimai)
    webhook: Webhook | None = None
