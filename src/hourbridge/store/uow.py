"""Unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from hourbridge.domain.audit import AuditIntent
from hourbridge.errors import ConcurrentChange

from .audit import SqlAudit, WriteTracker
from .bulk import analyze_if_grown
from .connections import SqlConnections
from .contracts import SqlContracts
from .corrections import SqlCorrections
from .deals import SqlDeals
from .entries import SqlEntries
from .erp import SqlErp
from .exceptions import SqlExceptions
from .expenses import SqlExpenses
from .holds import SqlHolds
from .idempotency import committed, mark_applied
from .inbox import SqlInbox
from .intercompany import SqlIntercompany
from .invoices import SqlInvoices
from .locks import SqlLocks, held
from .masterdata import SnapshotCache, SqlMasterData
from .outbox import SqlOutbox
from .webhook_receipts import SqlWebhookReceipts
from .webhooks import SqlWebhooks

# PostgreSQL's deadlock_detected and serialization_failure: the loser of a race, nothing wrong
_RACES = {"40P01", "40001"}


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


class SqlUnitOfWork:
    """Commit is explicit; leaving the block without ``commit()`` rolls everything back."""

    def __init__(self, engine: Engine, snapshots: SnapshotCache | None = None) -> None:
        self.engine = engine
        self.snapshots = snapshots
        self.conn: Connection | None = None
        self._audit: tuple[AuditIntent, datetime] | None = None
        self._writes: WriteTracker | None = None

    def audit_as(self, intent: AuditIntent, at: datetime) -> None:
        """Record every commit of this unit of work that writes anything in the audit chain,
        in the same transaction: the change and its record commit together or not at all."""
        self._audit = (intent, at)

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
        if self._audit is not None:
            self._writes = WriteTracker()
            self._writes.attach(self.conn)
        self.masterdata = SqlMasterData(self.conn, self.snapshots)
        self.locks = SqlLocks(self.conn)
        self.inbox = SqlInbox(self.conn)
        self.entries = SqlEntries(self.conn)
        self.expenses = SqlExpenses(self.conn)
        self.exceptions = SqlExceptions(self.conn)
        self.invoices = SqlInvoices(self.conn)
        self.outbox = SqlOutbox(self.conn)
        self.holds = SqlHolds(self.conn)
        self.contracts = SqlContracts(self.conn)
        self.intercompany = SqlIntercompany(self.conn)
        self.corrections = SqlCorrections(self.conn)
        self.connections = SqlConnections(self.conn)
        self.deals = SqlDeals(self.conn)
        self.erp = SqlErp(self.conn)
        self.webhook_receipts = SqlWebhookReceipts(self.conn)
        self.webhooks = SqlWebhooks(self.conn)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        try:
            if self._writes is not None:
                self._writes.detach(self.conn)
                self._writes = None
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        assert self.conn is not None
        if self._audit is not None and self._writes is not None and self._writes.changes:
            SqlAudit(self.conn).append(self._audit[0], self._writes, self._audit[1])
        mark_applied(self.conn)  # an API request's Idempotency-Key, in this same transaction
        self.conn.commit()
        committed(self.conn)
        if self._writes is not None:
            self._writes.reset()
        analyze_if_grown(self.conn)

    def exclusive(self, scope: str, key: str) -> AbstractContextManager[None]:
        """One holder of (``scope``, ``key``) at a time, across transactions
        (``store.locks.held``)."""
        return held(self.engine, scope, key)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction that a lost race undoes alone: a unique key that a
        concurrent writer committed first, or a deadlock PostgreSQL broke, rolls back to here
        and raises ``ConcurrentChange``; the caller runs the part again, now seeing what
        the other writer committed. Other errors roll back and propagate."""
        assert self.conn is not None
        nested = self.conn.begin_nested()
        try:
            yield
        except DBAPIError as exc:
            nested.rollback()
            if isinstance(exc, IntegrityError) or _sqlstate(exc) in _RACES:
                raise ConcurrentChange(
                    f"a concurrent writer got there first ({type(exc.orig).__name__})") from exc
            raise
        except BaseException:
            nested.rollback()
            raise
        nested.commit()

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.rollback()
        if self._writes is not None:
            self._writes.reset()
