"""An in-memory unit of work for service tests that need no database: the repositories intake,
billing and credit notes use, and only the methods they call (anything else raises
AttributeError, so a use case that starts needing more says so at once).

Transactions: entering the unit of work (and a savepoint) remembers the state; leaving it
without ``commit`` (or with an exception, for a savepoint) puts it back, as the store does.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.invoiced import Document, standing_of
from hourbridge.domain.masterdata import MasterData
from hourbridge.services.ports import (
    DocumentRow,
    EntryRow,
    EntrySelection,
    LineState,
    NewEntry,
    NewException,
    StoredEntry,
    Subscription,
)


@dataclass
class FakeMasterData:
    md: MasterData

    def snapshot(self) -> MasterData:
        return self.md


class FakeLocks:
    def billing(self, contract: str) -> None:
        """One process, one writer: nothing to wait for."""

    def billing_all(self, contracts: Sequence[str]) -> None:
        """The same, for many contracts."""


@dataclass
class FakeInbox:
    payloads: dict[int, dict[str, Any]] = field(default_factory=dict)

    def find(self, fingerprint: str) -> int | None:
        return next((i for i, p in self.payloads.items() if p["fingerprint"] == fingerprint),
                    None)

    def add(self, source: str, fingerprint: str, filename: str, media_type: str, size: int,
            received_at: datetime, kind: str = "time_entries",
            entities: frozenset[str] | None = None) -> int | None:
        inbox_id = len(self.payloads) + 1
        self.payloads[inbox_id] = {"source": source, "fingerprint": fingerprint, "kind": kind,
                                   "status": "received", "attempts": 0, "bytes": b"",
                                   "entities": entities}
        return inbox_id

    def keep(self, inbox_id: int, chunks: Iterable[bytes]) -> None:
        self.payloads[inbox_id]["bytes"] = b"".join(chunks)

    def count_attempt(self, inbox_id: int) -> None:
        self.payloads[inbox_id]["attempts"] += 1

    def claim(self, inbox_id: int, wait: bool = True) -> str | None:
        return str(self.payloads[inbox_id]["status"])

    def kinds(self, inbox_ids: Sequence[int]) -> dict[int, str]:
        return {i: self.payloads[i]["kind"] for i in inbox_ids}

    def record_counts(self, inbox_id: int, status: str, total: int, accepted: int,
                      rejected: int, unchanged: int) -> None:
        self.payloads[inbox_id].update(status=status, total=total, accepted=accepted,
                                       rejected=rejected, unchanged=unchanged)


@dataclass
class FakeEntries:
    rows: dict[int, EntryRow] = field(default_factory=dict)
    content_keys: dict[int, str] = field(default_factory=dict)
    revisions: dict[int, int] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    credited: list[tuple[int, int, str]] = field(default_factory=list)
    staged: list[NewEntry] = field(default_factory=list)  # the batch intake staged last

    def add(self, entry: NewEntry, **state: Any) -> int:
        """Store ``entry`` as intake would, then set any of its state (approval, billing...)."""
        entry_id = len(self.rows) + 1
        self.rows[entry_id] = replace(EntryRow(
            entry_id, entry.source, entry.external_id, entry.employee, entry.project,
            entry.task, entry.entity, entry.contract, entry.work_date, entry.worked_seconds,
            entry.billable_seconds, entry.billable, entry.approval, entry.billing, None),
            **state)
        self.content_keys[entry_id] = entry.content_key
        self.revisions[entry_id] = entry.revision
        return entry_id

    # intake
    def stored(self, source: str, external_ids: Sequence[str]) -> dict[str, StoredEntry]:
        wanted = set(external_ids)
        return {r.external_id: StoredEntry(
            r.id, self.revisions[r.id], self.content_keys[r.id], r.approval, r.billing,
            r.employee, r.contract, r.work_date, r.billed_seconds, r.id in self.deleted,
            r.entity)
            for r in self.rows.values() if r.source == source and r.external_id in wanted}

    def stage(self, entries: Sequence[NewEntry], at: datetime
              ) -> tuple[dict[str, StoredEntry], set[str]]:
        self.staged = list(entries)
        keys = {e.content_key for e in entries}
        taken = keys & {k for i, k in self.content_keys.items() if i not in self.deleted}
        return (self.stored(entries[0].source, [e.external_id for e in entries])
                if entries else {}), taken

    def move_staged(self, skip: Sequence[int]) -> int:
        moved = [e for position, e in enumerate(self.staged) if position not in set(skip)]
        for entry in moved:
            self.add(entry)
        return len(moved)

    def replace(self, entry_id: int, entry: NewEntry, at: datetime,
                claim_content: bool = False) -> None:
        self.rows[entry_id] = replace(
            self.rows[entry_id], work_date=entry.work_date, worked_seconds=entry.worked_seconds,
            billable_seconds=entry.billable_seconds, billable=entry.billable,
            task=entry.task, approval=entry.approval, billing=entry.billing)
        self.content_keys[entry_id] = entry.content_key
        self.revisions[entry_id] = entry.revision

    def mark_deleted(self, entry_id: int, revision: int, inbox_id: int, at: datetime) -> None:
        self.deleted.add(entry_id)
        self.revisions[entry_id] = revision

    # billing
    def select(self, selection: EntrySelection) -> Iterator[EntryRow]:
        s = selection
        for r in sorted(self.rows.values(), key=lambda r: (r.work_date, r.id)):
            if r.id in self.deleted or (s.ids and r.id not in s.ids):
                continue
            if ((s.approval and r.approval not in s.approval)
                    or (s.billing and r.billing not in s.billing)
                    or (s.billable is not None and r.billable != s.billable)
                    or (s.date_to is not None and r.work_date > s.date_to)
                    or (s.date_from is not None and r.work_date < s.date_from)
                    or (s.entity is not None and r.entity != s.entity)
                    or (s.contract is not None and r.contract != s.contract)
                    or (s.contracts and r.contract not in s.contracts)
                    or (s.project is not None and r.project != s.project)
                    or (s.employee is not None and r.employee != s.employee)):
                continue
            yield r

    def contracts(self, selection: EntrySelection) -> list[str]:
        return sorted({r.contract for r in self.select(selection) if r.contract})

    def contract_counts(self, selection: EntrySelection) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.select(selection):
            if r.contract:
                counts[r.contract] = counts.get(r.contract, 0) + 1
        return counts

    def set_billing(self, ids: Sequence[int], state: str, at: datetime) -> None:
        for i in ids:
            self.rows[i] = replace(self.rows[i], billing=state)

    def bill_open(self, billed: Sequence[tuple[int, int]], at: datetime) -> None:
        for i, seconds in billed:
            row = self.rows[i]
            self.rows[i] = replace(row, billing="on_draft",
                                   billed_seconds=row.billed_seconds + seconds)

    # credit notes
    def credit(self, released: Sequence[tuple[int, int]], mode: str, at: datetime) -> None:
        for i, seconds in released:
            row = self.rows[i]
            self.rows[i] = replace(
                row, billed_seconds=row.billed_seconds - seconds,
                written_off_seconds=row.written_off_seconds + (
                    seconds if mode == "write_off" else 0),
                billing="written_off" if mode == "write_off" else "credited")
            self.credited.append((i, seconds, mode))


class FakeExpenses:
    """No expenses: what billing and credit notes ask of them, answered empty."""

    def contracts_with_billable(self, through: date, entity: str | None) -> list[str]:
        return []

    def billable(self, contract: str, through: date) -> list[Any]:
        return []

    def mark_not_billable(self, ids: Sequence[int], at: datetime) -> None:
        assert not ids

    def on_lines(self, line_ids: Sequence[int]) -> list[int]:
        return []

    def release(self, ids: Sequence[int], mode: str, at: datetime) -> None:
        assert not ids


@dataclass
class FakeExceptions:
    items: list[NewException] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    def add(self, items: Sequence[NewException], at: datetime) -> None:
        self.items += items

    def add_open_once(self, items: Sequence[NewException], at: datetime) -> int:
        self.items += items
        return len(items)

    def resolve(self, source: str, location: str, at: datetime, by: str) -> None:
        self.resolved.append(location)

    def resolve_all(self, source: str, locations: Sequence[str], at: datetime,
                    by: str) -> None:
        self.resolved += locations


@dataclass
class FakeInvoices:
    runs: list[dict[str, Any]] = field(default_factory=list)
    drafts: dict[int, Any] = field(default_factory=dict)
    documents: dict[int, DocumentRow] = field(default_factory=dict)
    lines: dict[int, list[LineState]] = field(default_factory=dict)
    credit_notes: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add_run(self, through: date, entity: str | None, at: datetime,
                dry_run: bool = False, started_by: str | None = None) -> int:
        self.runs.append({"through": through, "entity": entity, "dry_run": dry_run,
                          "started_by": started_by})
        return len(self.runs)

    def finish_run(self, run_id: int, invoices: int, entries: int,
                   standing: dict[str, dict[str, str]] | None) -> None:
        self.runs[run_id - 1].update(invoices=invoices, entries=entries, standing=standing)

    def last_standing(self, entity: str | None) -> dict[str, dict[str, str]] | None:
        done = [r for r in self.runs if r.get("standing") is not None
                and r["entity"] == entity and not r["dry_run"]]
        return done[-1]["standing"] if done else None

    def standing(self, entity: str | None) -> dict[str, dict[str, str]]:
        return standing_of(Document(d.contract, d.period, d.currency, d.net)
                           for d, _ in self.drafts.values()
                           if entity is None or d.entity == entity)

    # the kept baseline per scope (store.standing); with no triggers here every live and
    # kept contract-month counts as moved, which compares the same as the store's marks
    kept: dict[str | None, dict[str, dict[str, str]]] = field(default_factory=dict)

    def standing_kept(self, entity: str | None) -> bool:
        return entity in self.kept

    def moved_since(self, entity: str | None) -> tuple[list[int], set[str]]:
        return [], set(self.standing(entity)) | set(self.kept.get(entity, {}))

    def standing_of_keys(self, entity: str | None, keys: Collection[str]
                         ) -> dict[str, dict[str, str]]:
        return {k: v for k, v in self.standing(entity).items() if k in keys}

    def kept_standing(self, entity: str | None, keys: Collection[str]
                      ) -> dict[str, dict[str, str]]:
        return {k: v for k, v in self.kept.get(entity, {}).items() if k in keys}

    def keep_standing(self, entity: str | None, keys: Collection[str],
                      now: dict[str, dict[str, str]], seen: Sequence[int],
                      first: bool = False) -> None:
        scope = self.kept.setdefault(entity, {})
        for k in keys:
            scope.pop(k, None)
        scope.update(now)

    def add_draft(self, run_id: int, draft: Any, tax: Any, at: datetime) -> int:
        invoice_id = len(self.drafts) + len(self.documents) + 1
        self.drafts[invoice_id] = (draft, tax)
        return invoice_id

    def add_drafts(self, run_id: int, drafts: Sequence[tuple[Any, Any]], at: datetime
                   ) -> list[tuple[int, list[int]]]:
        out = []
        for draft, tax in drafts:
            invoice_id = self.add_draft(run_id, draft, tax, at)
            count = len(draft.lines) + len(draft.charges)
            out.append((invoice_id, [invoice_id * 1000 + n for n in range(1, count + 1)]))
        return out

    def charge_line_ids(self, invoice_id: int) -> dict[tuple[str, str, str], int]:
        return {}

    def document(self, invoice_id: int) -> DocumentRow | None:
        return self.documents.get(invoice_id)

    def credit_state(self, invoice_id: int) -> tuple[list[LineState], Decimal]:
        return list(self.lines[invoice_id]), sum(
            (n["tax"] for n in self.credit_notes if n["invoice"] == invoice_id), Decimal(0))

    def next_number(self, entity: str) -> int:
        self.numbers[entity] = self.numbers.get(entity, 0) + 1
        return self.numbers[entity]

    def add_credit_note(self, invoice: DocumentRow, number: str, sequence: int,
                        issue_date: date, net: Decimal, tax: Decimal, lines: Sequence[Any],
                        mode: str, reason: str, at: datetime, by: str) -> int:
        self.credit_notes.append({"invoice": invoice.id, "number": number, "net": net,
                                  "tax": tax, "lines": list(lines), "mode": mode})
        return 1000 + len(self.credit_notes)

    def freeze(self, invoice_id: int, snapshot: dict[str, Any]) -> None:
        self.snapshots[invoice_id] = snapshot


class FakeHolds:
    def active(self) -> list[Any]:
        return []


class FakeContracts:
    """Plain time and materials: no retainer, cap or fee terms to remember."""

    def release_charges(self, line_ids: Sequence[int], mode: str) -> None:
        assert not line_ids


class FakeCorrections:
    def owed_contracts(self, through: date, entity: str | None) -> list[str]:
        return []

    def pending(self, entry_ids: Sequence[int]) -> list[int]:
        return []


@dataclass
class FakeOutbox:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, key: str, type_: str, subject: str, payload: dict[str, Any],
            at: datetime) -> bool:
        if key in self.events:
            return False
        self.events[key] = payload
        return True

    def add_many(self, events: Sequence[tuple[str, str, str, dict[str, Any]]],
                 at: datetime) -> set[str]:
        return {key for key, type_, subject, payload in events
                if self.add(key, type_, subject, payload, at)}


class FakeErp:
    """No ERP profiles: publishing a journal queues nothing for an ERP."""

    def profiles(self) -> list[Any]:
        return []
@dataclass
class FakeWebhooks:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    log_rows: list[tuple[str, str, int | None, str]] = field(default_factory=list)

    def add(self, subscription: Subscription, now: datetime) -> bool:
        if subscription.name in self.subscriptions:
            return False
        self.subscriptions[subscription.name] = subscription
        return True

    def get(self, name: str) -> Subscription | None:
        return self.subscriptions.get(name)

    def all(self) -> list[Subscription]:
        return [self.subscriptions[n] for n in sorted(self.subscriptions)]

    def remove(self, name: str) -> bool:
        return self.subscriptions.pop(name, None) is not None

    def disable(self, name: str, reason: str, now: datetime) -> bool:
        sub = self.subscriptions.get(name)
        if sub is None or sub.status != "active":
            return False
        self.subscriptions[name] = replace(sub, status="disabled", disabled_reason=reason,
                                           disabled_at=now)
        return True

    def log(self, name: str, webhook_id: str, status: int | None, outcome: str,
            error: str | None, now: datetime) -> None:
        self.log_rows.append((name, webhook_id, status, outcome))


class FakeUnitOfWork:
    """The unit of work of ``services.ports.uow`` in memory (see the module's docstring)."""

    _STATE = ("inbox", "entries", "exceptions", "invoices", "outbox", "webhooks")

    def __init__(self, md: MasterData) -> None:
        self.masterdata = FakeMasterData(md)
        self.locks = FakeLocks()
        self.inbox = FakeInbox()
        self.entries = FakeEntries()
        self.expenses = FakeExpenses()
        self.exceptions = FakeExceptions()
        self.invoices = FakeInvoices()
        self.holds = FakeHolds()
        self.contracts = FakeContracts()
        self.corrections = FakeCorrections()
        self.outbox = FakeOutbox()
        self.erp = FakeErp()
        self.webhooks = FakeWebhooks()
        self.commits = 0
        self._begun: dict[str, Any] | None = None

    def _state(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in self._STATE}

    def _restore(self, state: dict[str, Any]) -> None:
        """Back to ``state`` in place: references to the repositories stay valid."""
        for name, saved in state.items():
            vars(getattr(self, name)).clear()
            vars(getattr(self, name)).update(copy.deepcopy(vars(saved)))

    def __enter__(self) -> FakeUnitOfWork:
        self._begun = self._state()
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()
        self._begun = None

    def commit(self) -> None:
        self.commits += 1
        self._begun = self._state()

    def rollback(self) -> None:
        if self._begun is not None:
            self._restore(self._begun)

    def exclusive(self, scope: str, key: str) -> AbstractContextManager[None]:
        return nullcontext()  # one thread, one unit of work

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        before = self._state()
        try:
            yield
        except BaseException:
            self._restore(before)
            raise
