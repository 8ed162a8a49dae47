"""The intake side of the in-memory unit of work (``support.fakes``): the payload inbox,
time entries, expenses and their exceptions, with only the methods the use cases call."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from hourbridge.services.ports import (
    EntryRow,
    EntrySelection,
    NewEntry,
    NewException,
    StoredEntry,
)
from hourbridge.services.ports.entries import OpenEntry


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
    def open_work(self, selection: EntrySelection) -> Iterator[OpenEntry]:
        for r in self.select(selection):
            yield OpenEntry(r.id, r.employee, r.project, r.task, r.entity, r.contract,
                            r.work_date, r.open_seconds, r.billing, r.notes, r.price)

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
