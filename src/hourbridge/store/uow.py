"""Unit of work: one connection, one transaction, every repository on it."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from .bulk import analyze_if_grown
from .contracts import SqlContracts
from .corrections import SqlCorrections
from .entries import SqlEntries
from .exceptions import SqlExceptions
from .expenses import SqlExpenses
from .holds import SqlHolds
from .inbox import SqlInbox
from .intercompany import SqlIntercompany
from .invoices import SqlInvoices
from .locks import SqlLocks
from .masterdata import SnapshotCache, SqlMasterData
from .outbox import SqlOutbox


class SqlUnitOfWork:
    """Commit is explicit; leaving the block without ``commit()`` rolls everything back."""

    def __init__(self, engine: Engine, snapshots: SnapshotCache | None = None) -> None:
        self.engine = engine
        self.snapshots = snapshots
        self.conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
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
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
        finally:
            self.conn.close()
            self.conn = None

    def commit(self) -> None:
        assert self.conn is not None
        self.conn.commit()
        analyze_if_grown(self.conn)

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.rollback()
