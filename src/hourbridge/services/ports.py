"""What the services need from the outside world, as Protocols owned by the services.

The store implements them on SQLAlchemy; tests may pass fakes. Row shapes are plain
dataclasses so that hot paths move tuples, not ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from hourbridge.domain.bundle import Bundle
from hourbridge.domain.credits import CreditableLink
from hourbridge.domain.holds import Hold
from hourbridge.domain.intercompany import IntercompanyCharge
from hourbridge.domain.ledger import JournalEntry
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.problems import Problem


class Clock(Protocol):
    def now(self) -> datetime: ...


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

    @property
    def on_invoice(self) -> bool:
        """On a draft or a live issued invoice line: a change needs a correction proposal."""
        return self.billing == "on_draft" or self.billed_seconds > 0


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
class NewException:
    inbox_id: int | None
    source: str
    external_id: str | None
    problem: Problem
    row: dict[str, Any]


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

    @property
    def open_seconds(self) -> int:
        """Billable seconds on no live invoice and not written off: what a run may bill."""
        return self.billable_seconds - self.billed_seconds - self.written_off_seconds


@dataclass(frozen=True, slots=True)
class EntrySelection:
    ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    approval: tuple[str, ...] = ()
    billing: tuple[str, ...] = ()
    billable: bool | None = None
    entity: str | None = None
    contract: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceHeader:
    id: int
    entity: str
    contract: str
    customer: str
    currency: str
    period: str
    status: str
    number: str | None
    issue_date: date | None
    net: Decimal
    tax: Decimal
    total: Decimal


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


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: int
    kind: str
    status: str
    entity: str
    contract: str
    customer: str
    currency: str
    period: str
    number: str | None
    net: Decimal
    tax: Decimal
    tax_rate: Decimal | None
    tax_code: str | None
    tax_category: str | None
    tax_exemption_code: str | None
    tax_note: str | None
    fx_rate: Decimal | None = None  # receivable and tax translated at it (None: rate 1)


@dataclass(frozen=True, slots=True)
class LineState:
    """An invoice line with what has been credited from it so far, link by link."""

    id: int
    line_no: int
    description: str
    project: str
    task: str
    role: str
    seconds: int
    rate: Decimal
    amount: Decimal
    rate_card: str
    rate_row: str
    rate_rule: str
    rate_scope: str
    contract_version: int
    credited_seconds: int
    credited_amount: Decimal
    links: tuple[CreditableLink, ...]
    kind: str = "time"

    @property
    def hourly(self) -> bool:
        """Time lines (and retainer hours) credit by seconds; charges credit whole."""
        return self.kind in ("time", "retainer_hours")

    @property
    def open(self) -> bool:
        if self.hourly:
            return self.seconds > self.credited_seconds
        return self.credited_amount == 0 and self.amount != 0


@dataclass(frozen=True, slots=True)
class CreditLine:
    original: LineState
    seconds: int
    amount: Decimal
    allocations: tuple[tuple[int, int], ...]  # (entry id, seconds)


class NewExpense(NamedTuple):
    """A validated expense to store."""

    source: str
    external_id: str
    revision: int
    inbox_id: int
    employee: str
    project: str
    task: str | None
    entity: str
    contract: str | None
    spent_on: date
    category: str
    description: str
    amount: Decimal
    currency: str
    billable: bool
    receipt_ref: str | None
    content_key: str
    billing: str


@dataclass(frozen=True, slots=True)
class ExpenseRow:
    """A stored expense as approval and billing read it."""

    id: int
    contract: str | None
    project: str
    entity: str
    spent_on: date
    category: str
    description: str
    amount: Decimal
    currency: str
    employee: str
    task: str | None = None
    billable: bool = True
    approval: str = "approved"
    billing: str = "unbilled"


@dataclass(frozen=True, slots=True)
class ExpenseSelection:
    ids: tuple[int, ...] = ()
    employee: str | None = None
    project: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    approval: tuple[str, ...] = ()
@dataclass(frozen=True, slots=True)
class VoidFacts:
    """What deciding on a void needs beyond the document itself."""

    issue_date: date | None
    credit_notes: tuple[str, ...]  # numbers of the credit notes that credit the invoice
    adjustment_lines: int  # lines that carry a correction of earlier invoiced work


@dataclass(frozen=True, slots=True)
class LiveLink:
    """An entry's seconds on one line of a live (draft or issued) invoice, net of credits."""

    invoice_id: int
    status: str
    number: str | None
    line_id: int
    line_no: int
    seconds: int
    rate: Decimal
    currency: str
    adjustment_amount: Decimal | None  # set on a correction's adjustment line


class MasterDataRepository(Protocol):
    def snapshot(self) -> MasterData: ...
    def upsert(self, bundle: Bundle) -> dict[str, dict[str, int]]: ...


class InboxRepository(Protocol):
    def find(self, fingerprint: str) -> int | None: ...
    def add(self, source: str, fingerprint: str, filename: str, media_type: str,
            size: int, received_at: datetime, kind: str = "time_entries") -> int: ...
    def kinds(self, inbox_ids: Sequence[int]) -> dict[int, str]: ...
    def keep(self, inbox_id: int, chunks: Iterable[bytes]) -> None: ...
    def payload(self, inbox_id: int) -> Iterator[bytes]: ...
    def record_counts(self, inbox_id: int, status: str, total: int, accepted: int,
                      rejected: int, unchanged: int) -> None: ...


class EntryRepository(Protocol):
    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]: ...
    def existing_content_keys(self, keys: Sequence[str]) -> set[str]: ...
    def insert(self, entries: Sequence[NewEntry], at: datetime) -> None: ...
    def replace(self, entry_id: int, entry: NewEntry, at: datetime) -> None: ...
    def select(self, selection: EntrySelection) -> Iterator[EntryRow]: ...
    def contracts(self, selection: EntrySelection) -> list[str]: ...
    def approve(self, approvals: Sequence[tuple[int, Decimal | None, str | None, Decimal | None]],
                at: datetime, by: str) -> None: ...
    def set_billing(self, ids: Sequence[int], state: str, at: datetime) -> None: ...
    def bill_open(self, ids: Sequence[int], at: datetime) -> None: ...
    def wip_rows(self, ids: Sequence[int]) -> list[ReliefRow]: ...
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


class ExpenseRepository(Protocol):
    # intake
    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]: ...
    def existing_content_keys(self, keys: Sequence[str]) -> set[str]: ...
    def insert(self, expenses: Sequence[NewExpense], at: datetime) -> None: ...
    def replace(self, expense_id: int, expense: NewExpense, at: datetime) -> None: ...
    # approval
    def select(self, selection: ExpenseSelection) -> Iterator[ExpenseRow]: ...
    def approve(self, ids: Sequence[int], at: datetime, by: str) -> None: ...
    # billing: what a run may bill, and the billing axis it moves
    def billable(self, contract: str, through: date) -> list[ExpenseRow]:
        """Approved, billable, unbilled expenses of ``contract`` spent on or before
        ``through``, by date then id."""
        ...
    def contracts_with_billable(self, through: date, entity: str | None) -> list[str]: ...
    def mark_not_billable(self, ids: Sequence[int], at: datetime) -> None: ...
    def on_lines(self, line_ids: Sequence[int]) -> list[int]: ...
    def mark_billed(self, pairs: Sequence[tuple[int, int]], at: datetime) -> None:
        """(expense id, invoice line id): each expense must be unbilled, else ``Conflict``
        and nothing is marked (an expense is billed at most once)."""
        ...
    def release(self, ids: Sequence[int], mode: str, at: datetime) -> None:
        """A credit note gave billed expenses back: ``rebill`` makes them unbilled again,
        ``write_off`` never bills them again; must be billed, else ``Conflict``."""
        ...


class ExceptionRepository(Protocol):
    def add(self, items: Sequence[NewException], at: datetime) -> None: ...
    def add_open_once(self, items: Sequence[NewException], at: datetime) -> int: ...
    def resolve(self, source: str, location: str, at: datetime, by: str) -> None: ...
    def resolve_all(self, source: str, locations: Sequence[str], at: datetime,
                    by: str) -> None: ...
    def open_items(
        self, ids: Sequence[int]
    ) -> list[tuple[int, int | None, str, dict[str, Any]]]: ...
    def close(self, ids: Sequence[int], status: str, at: datetime, by: str, note: str) -> None: ...


class InvoiceRepository(Protocol):
    def add_run(self, through: date, entity: str | None, at: datetime,
                dry_run: bool = False) -> int: ...
    def finish_run(self, run_id: int, invoices: int, entries: int,
                   proposals: dict[str, dict[str, str]]) -> None: ...
    def last_proposals(self, entity: str | None) -> dict[str, dict[str, str]] | None: ...
    def add_draft(self, run_id: int, draft: Any, tax: Any, at: datetime) -> int: ...
    def drafts(self, ids: Sequence[int], entity: str | None) -> list[InvoiceHeader]: ...
    def statuses(self, ids: Sequence[int]) -> dict[int, str]: ...
    def kind_totals(self, invoice_ids: Sequence[int]) -> dict[int, dict[str, Decimal]]: ...
    def charge_line_ids(self, invoice_id: int) -> dict[tuple[str, str, str], int]: ...
    def entry_seconds_for(self, invoice_ids: Sequence[int]
                          ) -> dict[int, list[tuple[int, int]]]: ...
    def document(self, invoice_id: int) -> DocumentRow | None: ...
    def credit_state(self, invoice_id: int) -> tuple[list[LineState], Decimal]: ...
    def add_credit_note(self, invoice: DocumentRow, number: str, sequence: int,
                        issue_date: date, net: Decimal, tax: Decimal,
                        lines: Sequence[CreditLine], mode: str, reason: str, at: datetime,
                        by: str) -> int: ...
    def next_number(self, entity: str) -> int: ...
    def mark_issued(self, invoice_id: int, number: str, sequence: int, issue_date: date,
                    due_date: date, at: datetime, by: str,
                    fx_rate: Decimal | None = None) -> None: ...
    def void_facts(self, invoice_id: int) -> VoidFacts: ...
    def mark_void(self, invoice_id: int, void_date: date | None, at: datetime, by: str,
                  reason: str) -> None: ...
    def line_id(self, invoice_id: int, line_no: int) -> int: ...


class CorrectionRepository(Protocol):
    def live_links(self, entry_id: int) -> list[LiveLink]: ...
    def supersede_open(self, entry_id: int, at: datetime) -> int: ...
    def add(self, values: dict[str, Any]) -> int: ...
    def get(self, correction_id: int) -> dict[str, Any] | None: ...
    def decide(self, correction_id: int, status: str, action: str, at: datetime, by: str,
               note: str, outcome: dict[str, Any], old_amount: Decimal | None) -> None: ...
    def due_adjustments(self, contract: str, through: date) -> list[dict[str, Any]]: ...
    def owed_contracts(self, through: date, entity: str | None) -> list[str]: ...
    def pending(self, entry_ids: Sequence[int]) -> set[int]: ...
    def mark_adjusted(self, correction_ids: Sequence[int], line_id: int) -> None: ...
    def clear_adjustments(self, invoice_id: int) -> int: ...


class HoldRepository(Protocol):
    def active(self) -> list[Hold]: ...
    def place(self, scope: str, ref: str, reason: str, owner_role: str, note: str,
              at: datetime, by: str) -> int: ...
    def release(self, hold_id: int, at: datetime, by: str, note: str) -> bool: ...
    def entry_exists(self, entry_id: int) -> bool: ...


class ContractStateRepository(Protocol):
    def achievements(self, contract: str) -> dict[str, date]: ...
    def achieve(self, contract: str, milestone: str, on: date, actor: str, note: str,
                at: datetime) -> bool: ...
    def charge_states(self, contract: str) -> dict[tuple[str, str], tuple[str, Decimal]]: ...
    def release_charges(self, line_ids: Sequence[int], mode: str) -> None: ...
    def settled_months(self, contract: str) -> dict[str, int]: ...
    def settle_month(self, contract: str, period: str, included: int, rollover_in: int,
                     used: int, overage: int, rollover_out: int, expired: int,
                     at: datetime) -> None: ...
    def unsettle_month(self, contract: str, period: str) -> None: ...
    def usage(self, contracts: Sequence[str]) -> dict[str, tuple[int, Decimal]]: ...
    def effort(self, contract: str, through: date) -> list[tuple[str, date, int]]: ...
    def recognitions(self, contract: str) -> dict[str, tuple[Decimal, str]]: ...
    def record_recognition(self, contract: str, component: str, period: str,
                           recognised: Decimal, delta: Decimal, basis: str, posted_on: date,
                           journal_key: str, at: datetime) -> None: ...
    def recognition_history(self, contract: str) -> list[dict[str, object]]: ...
class IntercompanyRepository(Protocol):
    def charged(self, entry_ids: Sequence[int]) -> set[int]: ...
    def add(self, charges: Sequence[tuple[IntercompanyCharge, str | None, str | None]],
            at: datetime) -> None: ...


class Outbox(Protocol):
    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool: ...


class UnitOfWork(Protocol):
    masterdata: MasterDataRepository
    inbox: InboxRepository
    entries: EntryRepository
    expenses: ExpenseRepository
    exceptions: ExceptionRepository
    invoices: InvoiceRepository
    holds: HoldRepository
    contracts: ContractStateRepository
    corrections: CorrectionRepository
    outbox: Outbox
    intercompany: IntercompanyRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class LedgerSink(Protocol):
    """Where balanced journal entries go; must ignore a key it has already recorded."""

    def post(self, entry: JournalEntry) -> bool: ...


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
