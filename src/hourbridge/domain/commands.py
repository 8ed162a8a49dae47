"""Commands: what a user or system asks Hourbridge to do (imperative names)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from .bundle import Bundle


@dataclass(frozen=True, slots=True)
class LoadMasterData:
    """Upsert a parsed bundle (already shape-checked at the edge) all-or-nothing; with
    ``dry_run``, check it and report what would change, writing nothing."""

    bundle: Bundle
    dry_run: bool = False


@runtime_checkable
class ReadThrough(Protocol):
    """A payload read through something besides its bytes (a sheet's mapping): what
    ``reading()`` returns is part of the payload's fingerprint, so the same file read through
    a corrected mapping is a new payload, not a duplicate."""

    def reading(self) -> bytes: ...


class IncomingPayload(Protocol):
    """A payload as it arrives: its raw bytes (kept verbatim) and the rows in it, both streams.

    ``rows()`` raises ``errors.UnreadablePayload`` (carrying the Problem) when the payload as a
    whole cannot be read (not UTF-8, not JSON, no header line).
    """

    @property
    def filename(self) -> str: ...
    @property
    def media_type(self) -> str: ...
    def chunks(self) -> Iterator[bytes]: ...
    def rows(self) -> Iterator[tuple[str, dict[str, Any]]]: ...


@dataclass(frozen=True, slots=True)
class IngestTimeEntries:
    source: str
    payload: IncomingPayload
    # a payload another process is processing right now: wait for it (an intake), or skip
    # it at once (the worker's recovery of payloads a crash left unprocessed)
    wait: bool = True
    # the legal entities the sender may post to (None: all): a row naming another entity's
    # project is refused as an unknown project is, another entity's stored row is not changed
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class IngestExpenses:
    source: str
    payload: IncomingPayload
    # a payload another process is processing right now: wait for it (an intake), or skip
    # it at once (the worker's recovery of payloads a crash left unprocessed)
    wait: bool = True
    # the legal entities the sender may post to (None: all): a row naming another entity's
    # project is refused as an unknown project is, another entity's stored row is not changed
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ApproveExpenses:
    actor: str
    expense_ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    # the legal entities the approver may see (None: all); others' expenses are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ApproveEntries:
    actor: str
    entry_ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    # segregation of duties: the employee the approver is never approves their own time
    approver_employee: str | None = None
    # the legal entities the approver may see (None: all); others' entries are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class RunBilling:
    through: date
    entity: str | None = None
    dry_run: bool = False
    actor: str | None = None  # kept on the run: who drafted its invoices (four eyes)


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
    # the legal entities the caller may see (None: all); others' exceptions are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class DismissExceptions:
    exception_ids: tuple[int, ...]
    actor: str
    note: str
    # the legal entities the caller may see (None: all); others' exceptions are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class PlaceHold:
    scope: str  # customer / project / contract / entry
    ref: str
    reason: str  # missing_po / credit_hold / dispute / other
    actor: str
    note: str = ""
    owner_role: str | None = None


@dataclass(frozen=True, slots=True)
class ReleaseHold:
    hold_id: int
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class IssueCreditNote:
    """Credit an issued invoice, in full (no lines) or by quantity: (line number, seconds)."""

    invoice_id: int
    actor: str
    reason: str
    lines: tuple[tuple[int, int], ...] = ()
    mode: str = "rebill"  # rebill: the work bills again; write_off: it never will
    issue_date: date | None = None


@dataclass(frozen=True, slots=True)
class AdjustBillable:
    """Write billable time up or down before it is billed; worked time is never rewritten."""

    entry_id: int
    billable_seconds: int
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class AchieveMilestone:
    """A PSA (or a person) says a milestone is achieved: it bills with the next run."""

    contract: str
    milestone: str
    achieved_on: date | None  # None: today in the contract's entity's time zone
    actor: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class VoidInvoice:
    """Void a draft, or an issued invoice nothing credits yet in an open period; the number
    stays in the sequence with status void, the work bills again."""

    invoice_id: int
    actor: str
    reason: str
    void_date: date | None = None


@dataclass(frozen=True, slots=True)
class ApplyCorrection:
    """Carry out a correction proposal (credit and rebill, next-invoice adjustment, redraft)."""

    correction_id: int
    actor: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ShowContract:
    """Read a contract's components and where each stands (nothing changes)."""

    contract: str


@dataclass(frozen=True, slots=True)
class RunRevenue:
    """Recognise revenue on fees through the end of ``period`` (YYYY-MM)."""

    period: str
    actor: str
    entity: str | None = None
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class ShowRevenueSchedule:
    contract: str


@dataclass(frozen=True, slots=True)
class RejectCorrection:
    """Close a correction proposal without touching any invoice; the note says why."""

    correction_id: int
    actor: str
    note: str


@dataclass(frozen=True, slots=True)
class RejectEntries:
    """Send entries back to the consultant; approved, unbilled work is un-approved."""

    actor: str
    entry_ids: tuple[int, ...]
    reason: str
    # the legal entities the caller may see (None: all); others' entries are as unknown
    entities: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential on its way to being encrypted: never shown by ``repr`` (logs, tracebacks)."""

    parts: tuple[tuple[str, str], ...] = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(***)"


@dataclass(frozen=True, slots=True)
class AddConnection:
    name: str
    tracker: str
    base_url: str
    secret: Secret


@dataclass(frozen=True, slots=True)
class RemoveConnection:
    name: str


@dataclass(frozen=True, slots=True)
class ListConnections:
    pass


@dataclass(frozen=True, slots=True)
class TestConnection:
    name: str


@dataclass(frozen=True, slots=True)
class AddAlias:
    """Say which Hourbridge code a source's id means (a person resolving an unknown id); the
    rows that waited for it are taken again at once."""

    source: str
    kind: str  # user | project | task
    external_id: str
    code: str
    actor: str = "cli"


@dataclass(frozen=True, slots=True)
class PublishMasterData:
    """Offer Hourbridge's customers, active projects, their tasks and assignments at a
    connection's tracker (create, update, archive by its ids); ``dry_run`` changes nothing."""

    name: str
    dry_run: bool = False
    actor: str = "cli"


@dataclass(frozen=True, slots=True)
class MarkExported:
    """Mark a connection's invoiced entries exported at its tracker (Kimai's flag), once
    each; ``limit`` bounds one run."""

    name: str
    limit: int = 100_000


@dataclass(frozen=True, slots=True)
class SetWebhookSecret:
    """Store (sealed with the API token) the secret a connection's webhook deliveries are
    verified with: Toggl's subscription ``secret``, Clockify's webhook ``authToken``."""

    name: str
    secret: Secret


@dataclass(frozen=True, slots=True)
class ReceiveWebhook:
    """One webhook delivery as it arrived: header names lower-case, the body's raw bytes
    (the signature is over exactly these)."""

    connection: str
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    body: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class SyncConnection:
    """Pull a connection's entries changed since its cursor (``full``: all, and notice the
    entries gone from the source)."""

    name: str
    full: bool = False


# delivery's commands live beside this module; one name space for every command
# CRM won deals' commands (issue 11 item 8)
from .commands_deals import AddCrmConnection as AddCrmConnection  # noqa: E402
from .commands_deals import ConfirmDeal as ConfirmDeal  # noqa: E402
from .commands_deals import PullDeals as PullDeals  # noqa: E402
from .commands_deals import ReceiveCrmEvent as ReceiveCrmEvent  # noqa: E402
from .commands_deals import RejectDeal as RejectDeal  # noqa: E402
from .commands_deals import ShowDeal as ShowDeal  # noqa: E402
from .commands_deals import ShowDeals as ShowDeals  # noqa: E402
from .commands_delivery import AddWebhook as AddWebhook  # noqa: E402
from .commands_delivery import CheckErp as CheckErp  # noqa: E402
from .commands_delivery import ListWebhooks as ListWebhooks  # noqa: E402
from .commands_delivery import LoadErpProfiles as LoadErpProfiles  # noqa: E402
from .commands_delivery import PullErpCustomers as PullErpCustomers  # noqa: E402
from .commands_delivery import PullErpPayments as PullErpPayments  # noqa: E402
from .commands_delivery import PullErpProjects as PullErpProjects  # noqa: E402
from .commands_delivery import QueueErpPush as QueueErpPush  # noqa: E402
from .commands_delivery import QueuePaymentsPull as QueuePaymentsPull  # noqa: E402
from .commands_delivery import RaiseAlerts as RaiseAlerts  # noqa: E402
from .commands_delivery import RemoveWebhook as RemoveWebhook  # noqa: E402
from .commands_delivery import ReplayDeadLetters as ReplayDeadLetters  # noqa: E402
from .commands_delivery import ShowErpIdentity as ShowErpIdentity  # noqa: E402
from .commands_delivery import ShowErpPostings as ShowErpPostings  # noqa: E402
from .commands_delivery import ShowErpProjects as ShowErpProjects  # noqa: E402
from .commands_delivery import TestWebhook as TestWebhook  # noqa: E402
