"""An in-memory unit of work for service tests that need no database: the repositories intake
(``support.fake_intake``), billing and credit notes use, and only the methods they call
(anything else raises AttributeError, so a use case that starts needing more says so at
once).

Transactions: entering the unit of work (and a savepoint) remembers the state; leaving it
without ``commit`` (or with an exception, for a savepoint) puts it back, as the store does.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hourbridge.domain.invoiced import Document, standing_of
from hourbridge.domain.masterdata import MasterData
from hourbridge.services.ports import (
    DocumentRow,
    LineState,
    Subscription,
)

from .fake_intake import FakeEntries, FakeExceptions, FakeExpenses, FakeInbox


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
