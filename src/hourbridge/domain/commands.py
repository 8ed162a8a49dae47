"""Commands: what a user or system asks Hourbridge to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .bundle import Bundle


@dataclass(frozen=True, slots=True)
class LoadMasterData:
    """Upsert a parsed bundle (already shape-checked at the edge) all-or-nothing."""

    bundle: Bundle


@dataclass(frozen=True, slots=True)
class IngestTimeEntries:
    source: str
    filename: str
    media_type: str  # "text/csv" or "application/json"
    payload: bytes


@dataclass(frozen=True, slots=True)
class ApproveEntries:
    actor: str
    entry_ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True, slots=True)
class RunBilling:
    through: date
    entity: str | None = None
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class IssueInvoices:
    invoice_ids: tuple[int, ...] = ()
    all_drafts: bool = False
    entity: str | None = None
    issue_date: date | None = None
    actor: str = "cli"


@dataclass(frozen=True, slots=True)
class RetryExceptions:
    exception_ids: tuple[int, ...] = field(default_factory=tuple)
    actor: str = "cli"


@dataclass(frozen=True, slots=True)
class DismissExceptions:
    exception_ids: tuple[int, ...]
    actor: str
    note: str
