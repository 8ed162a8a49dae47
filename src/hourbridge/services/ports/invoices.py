"""Invoices and credit notes: headers, documents, line states, and their repository."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from hourbridge.domain.credits import CreditableLink
from hourbridge.domain.fx import ForeignAmount


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
    # expenses converted from another currency: a credit note's line says the same
    foreign: ForeignAmount | None = None

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


@dataclass(frozen=True, slots=True)
class VoidFacts:
    """What deciding on a void needs beyond the document itself."""

    issue_date: date | None
    credit_notes: tuple[str, ...]  # numbers of the credit notes that credit the invoice
    adjustment_lines: int  # lines that carry a correction of earlier invoiced work


class IssuedDraft(NamedTuple):
    """A draft as issuing leaves it: its number, dates, rate and the frozen document parties."""

    invoice_id: int
    number: str
    sequence: int
    issue_date: date
    due_date: date
    fx_rate: Decimal | None
    snapshot: dict[str, Any]


class InvoiceRepository(Protocol):
    def add_run(self, through: date, entity: str | None, at: datetime,
                dry_run: bool = False, started_by: str | None = None) -> int: ...
    def finish_run(self, run_id: int, invoices: int, entries: int,
                   standing: dict[str, dict[str, str]] | None) -> None: ...
    def last_standing(self, entity: str | None) -> dict[str, dict[str, str]] | None: ...
    def standing(self, entity: str | None) -> dict[str, dict[str, str]]: ...
    def standing_kept(self, entity: str | None) -> bool:
        """Whether the scope's baseline is kept as rows; locks it until commit."""
    def moved_since(self, entity: str | None) -> tuple[list[int], set[str]]:
        """The scope's marks of contract-months moved since its baseline: ids and keys."""
    def standing_of_keys(self, entity: str | None, keys: Collection[str]
                         ) -> dict[str, dict[str, str]]: ...
    def kept_standing(self, entity: str | None, keys: Collection[str]
                      ) -> dict[str, dict[str, str]]: ...
    def keep_standing(self, entity: str | None, keys: Collection[str],
                      now: dict[str, dict[str, str]], seen: Sequence[int],
                      first: bool = False) -> None: ...
    def add_draft(self, run_id: int, draft: Any, tax: Any, at: datetime) -> int: ...
    def add_drafts(self, run_id: int, drafts: Sequence[tuple[Any, Any]], at: datetime
                   ) -> list[tuple[int, list[int]]]:
        """Store (draft, tax) pairs in bulk; per draft its id and its line ids in order
        (time lines, then charge lines)."""
    def drafts(self, ids: Sequence[int], entity: str | None) -> list[InvoiceHeader]: ...
    def drafted_by(self, invoice_ids: Sequence[int]) -> dict[int, str]: ...
    def four_eyes_entities(self) -> set[str]: ...
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
    def reserve_numbers(self, entity: str, count: int) -> int:
        """Take ``count`` consecutive numbers of ``entity``'s sequence; the first of them."""
    def issue_drafts(self, issued: Sequence[IssuedDraft], at: datetime, by: str) -> None:
        """Drafts become issued, in bulk; a draft no longer one is a ``ConcurrentChange``."""
    def freeze(self, invoice_id: int, snapshot: dict[str, Any]) -> None:
        """Keep what the issued document shows (``domain.einvoice.snapshot``) on it."""
    def void_facts(self, invoice_id: int) -> VoidFacts: ...
    def mark_void(self, invoice_id: int, void_date: date | None, at: datetime, by: str,
                  reason: str) -> None: ...
    def line_id(self, invoice_id: int, line_no: int) -> int: ...
