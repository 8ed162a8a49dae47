"""Locks that serialise the writers of one scope for the rest of a transaction.

PostgreSQL: transaction-scoped advisory locks (``pg_advisory_xact_lock``), released by commit
or rollback, so a crashed process never leaves one behind. SQLite: nothing to do, every write
transaction already holds the database's only write lock (``store.engine``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

# the first key of every advisory lock Hourbridge takes, so they never collide with another
# application's locks on a shared server ("HB" in ASCII)
_NAMESPACE = 0x4842
_SCOPES = {"billing": 1, "inbox": 2, "erp_identity": 3}


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
