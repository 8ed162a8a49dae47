"""Appending to the audit chain, in the transaction of the change it records.

``WriteTracker`` watches one connection's INSERT/UPDATE/DELETE statements: their digest (SQL
and parameters, hashed, never kept) and a count per table are what a record says changed.
``SqlAudit.append`` locks the chain head row (``FOR UPDATE`` on PostgreSQL; SQLite's
transactions already hold the database's one write lock), so two writers never both extend
the same head: the second waits and chains onto the first.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, event, insert, select, update

from hourbridge.domain.audit import AuditIntent, AuditRecord, after_digest, link_hash

from . import tables as t
from .bulk import COPY_WATCH, STAGE_PREFIX
from .kpi_bulk import DERIVED_TABLES

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.I)
# the KPI rollups are derived: kept by triggers (unseen here) or, for a bulk insert on
# SQLite, by ``kpi_bulk``'s statements, which are left out alike
_UNTRACKED = {"audit_log", "audit_chain_head", "idempotency_keys", *DERIVED_TABLES}


class WriteTracker:
    """What one connection wrote since ``reset``: a running digest and rows per table."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._hash = hashlib.sha256()
        self.changes: Counter[str] = Counter()
        self._last: tuple[Any, Any] = (None, None)

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def attach(self, conn: Connection) -> None:
        event.listen(conn, "after_cursor_execute", self._seen)
        conn.info[COPY_WATCH] = self._copied

    def detach(self, conn: Connection) -> None:
        if event.contains(conn, "after_cursor_execute", self._seen):
            event.remove(conn, "after_cursor_execute", self._seen)
        conn.info.pop(COPY_WATCH, None)

    def _count(self, table: str, rows: int) -> None:
        # a staged batch is hashed (its rows are what the move writes) but counts as a
        # change only where it is moved to
        if not table.startswith(STAGE_PREFIX):
            self.changes[table] += rows

    def _copied(self, table: str, statement: str, rows: Any) -> None:
        self._count(table, len(rows))
        self._hash.update(statement.encode())
        self._hash.update(repr(rows).encode())

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
              executemany: bool) -> None:
        m = _WRITE.match(statement)
        if m is None or m.group(1).lower() in _UNTRACKED:
            return
        last_context, last_parameters = self._last
        if executemany and context is not None and context is last_context \
                and parameters is last_parameters:
            # an "insertmanyvalues" INSERT (many rows with RETURNING) is sent in batches, and
            # SQLAlchemy 2.0 reports every batch with the whole statement's parameters
            # (sqlalchemy#13018): counted and hashed once, not once per batch (which was
            # quadratic in the rows: 80 % of a 20,000-entry billing run on SQLite)
            return
        self._last = (context, parameters)  # held (not ids) until the next statement
        rows = cursor.rowcount if cursor.rowcount is not None else -1
        if rows <= 0 and (rows < 0 or "RETURNING" in statement.upper()):
            # a driver that does not count (executemany), or an INSERT ... RETURNING whose
            # rows are counted only once fetched (sqlite3): one row per parameter set
            rows = len(parameters) if executemany else 1
        if rows <= 0:  # an UPDATE or DELETE that matched nothing changed nothing
            return
        self._count(m.group(1).lower(), rows)
        self._hash.update(statement.encode())
        self._hash.update(repr(parameters).encode())


def record_of(row: Any) -> AuditRecord:
    return AuditRecord(seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                       object=row.object, reason=row.reason,
                       before_digest=row.before_digest, after_digest=row.after_digest,
                       changes=dict(row.changes), prev_hash=row.prev_hash, hash=row.hash)


_a, _h = t.audit_log, t.audit_chain_head
# built once: every write command appends a record, and building these statements and their
# cache keys cost more than running them (issue 16)
_HEAD = select(_h.c.seq, _h.c.hash).where(_h.c.id == 1).with_for_update()
_BEFORE = (select(_a.c.after_digest).where(_a.c.object == bindparam("object_"))
           .order_by(_a.c.seq.desc()).limit(1))
_ADD = insert(_a)
_MOVE_HEAD = update(_h).where(_h.c.id == 1).values(seq=bindparam("seq_"),
                                                    hash=bindparam("hash_"))


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, intent: AuditIntent, writes: WriteTracker, at: datetime) -> AuditRecord:
        """Add the record of this transaction's change; it commits (or not) with the change."""
        head = self.conn.execute(_HEAD).one()
        before = self.conn.execute(_BEFORE, {"object_": intent.object}).scalar()
        at = at.astimezone(UTC)
        seq, changes = head.seq + 1, dict(sorted(writes.changes.items()))
        after = after_digest(before, writes.digest)
        digest = link_hash(head.hash, seq, at, intent.actor, intent.action, intent.object,
                           intent.reason, before, after, changes)
        self.conn.execute(_ADD, {
            "seq": seq, "at": at, "actor": intent.actor, "action": intent.action,
            "object": intent.object, "reason": intent.reason, "before_digest": before,
            "after_digest": after, "changes": changes, "prev_hash": head.hash, "hash": digest})
        self.conn.execute(_MOVE_HEAD, {"seq_": seq, "hash_": digest})
        return AuditRecord(seq, at, intent.actor, intent.action, intent.object, intent.reason,
                           before, after, changes, head.hash, digest)
