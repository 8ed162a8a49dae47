"""Locks that serialise the writers of one scope for the rest of a transaction.

PostgreSQL: transaction-scoped advisory locks (``pg_advisory_xact_lock``), released by commit
or rollback, so a crashed process never leaves one behind. SQLite: nothing to do, every write
transaction already holds the database's only write lock (``store.engine``).

``held`` serialises a longer piece of work across the caller's own transactions (a publish to
a tracker, minutes of HTTP with an alias committed after each write): on PostgreSQL the same
advisory lock, on a connection of its own whose transaction stays open for the block; on
SQLite an exclusive ``flock`` on a file beside the database. SQLite's write lock cannot be
held that long: it would stop every other writer of the firm, and the work's own commits.
Both end with the process that holds them (its connection closes, the kernel drops the
``flock``), so a killed publish never leaves a lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

# the first key of every advisory lock Hourbridge takes, so they never collide with another
# application's locks on a shared server ("HB" in ASCII)
_NAMESPACE = 0x4842
_SCOPES = {"billing": 1, "inbox": 2, "erp_identity": 3, "publication": 4}
_IN_MEMORY: dict[tuple[str, str], threading.Lock] = {}
_IN_MEMORY_GUARD = threading.Lock()


class SqlLocks:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _lock(self, scope: str, key: str) -> None:
        if self.conn.dialect.name != "postgresql":
            return
        # two int4 keys: the namespace+scope, and a hash of the key (a hash collision only
        # makes two unrelated scopes wait for each other, never run together)
        self.conn.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
                          {"ns": (_NAMESPACE << 8) | _SCOPES[scope], "k": key})

    def billing(self, contract: str) -> None:
        """Held while a billing run reads and bills one contract: a concurrent run waits, then
        reads what the first one committed (nothing left open), so it cannot bill it again."""
        self._lock("billing", contract)

    def billing_all(self, contracts: Sequence[str]) -> None:
        """``billing`` for many contracts in one statement, taken in sorted order (as every
        run takes them, so two runs cannot deadlock)."""
        if self.conn.dialect.name != "postgresql" or not contracts:
            return
        self.conn.execute(text(
            "SELECT count(pg_advisory_xact_lock(:ns, hashtext(k))) FROM "
            "(SELECT k FROM unnest(CAST(:ks AS text[])) AS u(k) ORDER BY k) AS s"),
            {"ns": (_NAMESPACE << 8) | _SCOPES["billing"], "ks": sorted(contracts)})

    def erp_identity(self, destination: str) -> None:
        """Writers of one destination's identity map (``store.erp``), one at a time."""
        self._lock("erp_identity", destination)


@contextmanager
def held(engine: Engine, scope: str, key: str) -> Iterator[None]:
    """Only one holder of (``scope``, ``key``) at a time until the block ends; another one
    waits (see the module's docstring)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, conn.begin():
            SqlLocks(conn)._lock(scope, key)
            yield  # the transaction (and the lock) ends with the block: rolled back, unused
        return
    database = engine.url.database or ""
    if database in ("", ":memory:"):  # one process: a lock of its own
        with _IN_MEMORY_GUARD:
            lock = _IN_MEMORY.setdefault((scope, key), threading.Lock())
        with lock:
            yield
        return
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    with open(f"{database}.{scope}-{digest}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # per open file: threads wait too
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
