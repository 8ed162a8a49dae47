"""A tracker connector as one value: what ``connectors/<name>/`` declares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .http import AuthStyle
from .stream import DirectoryList, FieldMap, Stream
from .webhook import Webhook

if TYPE_CHECKING:  # publication reads records with native, which knows the Tracker
    from .publication import Publication


@dataclass(frozen=True, slots=True)
class ExportMark:
    """How an invoiced entry is marked exported at the tracker: ``path`` with ``{id}``, and
    a body that sets the flag to an absolute value (so sending it again is harmless)."""

    method: str
    path: str
    body: tuple[tuple[str, Any], ...]


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
    # how an invoiced entry is marked exported there; None: the tracker has no such flag
    export_mark: ExportMark | None = None
    # its own lists of users, projects and tasks, read to learn aliases
    directory: tuple[DirectoryList, ...] = ()
    # how Hourbridge's projects, tasks and assignments are written there (None: not)
    publication: Publication | None = None
    # its master-data API where the entries come from elsewhere: (text in the connection's
    # base URL, what replaces it) (Clockify: the reports host, then the REST host)
    api_base: tuple[str, str] | None = None
    # where ``{workspace}`` comes from: (path, field) of the answer (Toggl ``/me``)
    workspace: tuple[str, str] | None = None
