"""Time entries: the rows intake, approval and billing move, and their repository."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, TypeVar


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """The state of an already stored entry that intake needs to decide new / same / changed."""

    id: int
    revision: int
    content_key: str
    approval: str
    billing: str
    # where the entry was: a revision may move it to another day (per-day rounding)
    employee: str = ""
    contract: str | None = None
    work_date: date | None = None
    billed_seconds: int = 0
    deleted: bool = False
    entity: str = ""  # whose it is: a sender limited to entities changes only theirs

    @property
    def on_invoice(self) -> bool:
        """On a draft or a live issued invoice line: a change needs a correction proposal."""
        return self.billing == "on_draft" or self.billed_seconds > 0


R = TypeVar("R", contravariant=True)  # a kind's row to store (NewEntry, NewExpense)


class IntakeRepository(Protocol[R]):
    """What intake needs of the repository each kind's rows are stored in."""

    def stored(self, source: str, external_ids: Sequence[str], /
               ) -> dict[str, StoredEntry]: ...
    # a batch staged (unindexed, the session's own): the stored rows of its ids and the
    # contents already taken; then the staged rows but those at ``skip`` moved in, in order
    def stage(self, rows: Sequence[R], at: datetime, /
              ) -> tuple[dict[str, StoredEntry], set[str]]: ...
    def move_staged(self, skip: Sequence[int], /) -> int: ...
    def replace(self, row_id: int, row: R, at: datetime, claim_content: bool = False, /
                ) -> None: ...


DayKey = tuple[str, str, date]  # (contract, employee, work date): one day of per-day rounding


@dataclass(frozen=True, slots=True)
class DayRow:
    """A live billable entry of a per-day-rounded day, with what decides whether it may move."""

    id: int
    source: str
    external_id: str
    employee: str
    project: str
    task: str
    entity: str
    contract: str
    work_date: date
    worked_seconds: int
    billable_seconds: int
    approval: str
    billing: str
    billed_seconds: int
    written_off_seconds: int
    wip_amount: Decimal | None
    manual_delta: int = 0  # write-ups minus write-downs recorded for the entry

    @property
    def open(self) -> bool:
        """Nothing of it billed or written off: its billable seconds may still be recomputed."""
        return (self.billing == "unbilled" and not self.billed_seconds
                and not self.written_off_seconds)


class NewEntry(NamedTuple):
    """A validated entry to store (a NamedTuple: built once per row on the intake hot path)."""

    source: str
    external_id: str
    revision: int
    inbox_id: int
    employee: str
    project: str
    task: str
    entity: str
    contract: str | None
    work_date: date
    worked_seconds: int
    billable_seconds: int
    billable: bool
    notes: str
    content_key: str
    approval: str
    billing: str
    deleted: bool = False  # a tombstone: the source deleted the entry


@dataclass(frozen=True, slots=True)
class StoredPrice:
    """The rate decision approval took for an entry, kept on it so billing reuses it instead
    of pricing again (issue 16, item 2): the decision (``RateDecision``'s fields; the currency
    is the entry's WIP currency), the role it was decided for, and the basis it holds on
    (``domain.pricing.PriceBasis``)."""

    rate: Decimal
    currency: str
    card: str
    row: str
    rule: str
    scope: str
    contract_version: int
    role: str
    basis: str


# what approval stores per entry: id, WIP amount, WIP currency, the rate the WIP was
# translated at, and the rate decision (None where nothing was priced: non-billable work)
Approved = tuple[int, Decimal | None, str | None, Decimal | None, StoredPrice | None]


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A stored entry as approval and billing read it."""

    id: int
    source: str
    external_id: str
    employee: str
    project: str
    task: str
    entity: str
    contract: str | None
    work_date: date
    worked_seconds: int
    billable_seconds: int
    billable: bool
    approval: str
    billing: str
    wip_amount: Decimal | None
    billed_seconds: int = 0
    written_off_seconds: int = 0
    # the rate the WIP was translated at (None: not approved, or approved before FX existed)
    wip_fx_rate: Decimal | None = None
    notes: str = ""  # shown on invoice lines at the entry detail level
    price: StoredPrice | None = None  # the decision approval stored (None: none kept)

    @property
    def open_seconds(self) -> int:
        """Billable seconds on no live invoice and not written off: what a run may bill."""
        return self.billable_seconds - self.billed_seconds - self.written_off_seconds


class OpenEntry(NamedTuple):
    """An open entry as a billing run reads it: only what pricing, grouping and the links
    need (a run reads every open entry, so this is a plain tuple, not a full ``EntryRow``).
    ``price`` is shared between entries priced alike, as in ``EntryRow``."""

    id: int
    employee: str
    project: str
    task: str
    entity: str
    contract: str | None
    work_date: date
    open_seconds: int  # billable seconds on no live invoice and not written off
    billing: str
    notes: str
    price: StoredPrice | None


@dataclass(frozen=True, slots=True)
class RowSelection:
    """Which stored rows of a kind a use case reads (approval, billing): ids, or filters."""

    ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    approval: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EntrySelection(RowSelection):
    billing: tuple[str, ...] = ()
    billable: bool | None = None
    entity: str | None = None
    contract: str | None = None
    contracts: tuple[str, ...] = ()  # any of these (a billing run reads a group at once)


@dataclass(frozen=True, slots=True)
class ReliefRow:
    """An entry's WIP position, to relieve (invoice) or restore (credit to rebill) a share."""

    entry_id: int
    customer: str
    project: str
    billable_seconds: int
    wip_amount: Decimal
    relieved_seconds: int
    wip_relieved: Decimal
    wip_fx_rate: Decimal = Decimal(1)


class WholeRelief(NamedTuple):
    """WIP an invoice relieves whole (entries invoiced in full for the first time), summed
    per customer, project and the rate it was translated at."""

    invoice: int
    customer: str
    project: str
    wip_fx_rate: Decimal
    amount: Decimal


class EntryRepository(IntakeRepository[NewEntry], Protocol):
    def select(self, selection: EntrySelection) -> Iterator[EntryRow]: ...
    # what a billing run reads of the entries ``selection`` matches, in id order
    def open_work(self, selection: EntrySelection) -> Iterator[OpenEntry]: ...
    def contracts(self, selection: EntrySelection) -> list[str]: ...
    def contract_counts(self, selection: EntrySelection) -> dict[str, int]: ...
    def approve(self, approvals: Sequence[Approved], at: datetime, by: str) -> None: ...
    def set_billing(self, ids: Sequence[int], state: str, at: datetime) -> None: ...
    def bill_open(self, billed: Sequence[tuple[int, int]], at: datetime) -> None: ...
    def wip_rows(self, ids: Sequence[int]) -> list[ReliefRow]: ...
    # issuing a batch of invoices (``batch``; ``invoice_ids``: those in their entity's
    # currency, whose whole relief needs no translation entry by entry): ``relieve_whole``
    # relieves and invoices the entries their links relieve whole and returns the relief
    # summed; ``partial_links`` then gives the batch's other links
    def relieve_whole(self, invoice_ids: Sequence[int], batch: Sequence[int],
                      at: datetime) -> list[WholeRelief]: ...
    def partial_links(self, batch: Sequence[int]) -> dict[int, list[tuple[int, int]]]: ...
    def add_relief(self, changes: Sequence[tuple[int, int, Decimal]], at: datetime) -> None: ...
    def credit(self, released: Sequence[tuple[int, int]], mode: str, at: datetime) -> None: ...
    def adjust(self, entry_id: int, before: int, after: int, wip: Decimal | None,
               wip_delta: Decimal | None, reason: str, actor: str, at: datetime) -> int: ...
    def day_rows(self, keys: Sequence[DayKey]) -> list[DayRow]: ...
    def set_billable(self, changes: Sequence[tuple[int, int, Decimal | None]],
                     at: datetime) -> None: ...
    def reject(self, ids: Sequence[int], at: datetime, by: str, reason: str) -> None: ...
    def release(self, links: Sequence[tuple[int, int]], at: datetime) -> None: ...
    def mark_deleted(self, entry_id: int, revision: int, inbox_id: int,
                     at: datetime) -> None: ...
    def revise(self, entry_id: int, entry: NewEntry, billable_seconds: int, billable: bool,
               wip: Decimal, currency: str, pending_adjustment: bool, at: datetime) -> None: ...
    def state(self, entry_id: int) -> dict[str, Any] | None: ...
