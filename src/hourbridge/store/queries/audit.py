"""The audit log read back: pages of records (by object) and the whole chain for verify."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from hourbridge.domain.audit import AuditRecord, verify_chain

from .. import tables as t
from ..audit import record_of
from ._common import QueryBase

_BATCH = 2000


class AuditQueries(QueryBase):
    def audit_records(self, *, object_: str | None = None, after: int = 0,
                      limit: int = 100, since: datetime | None = None
                      ) -> list[dict[str, Any]]:
        """Records after sequence number ``after``, oldest first; ``object_`` ending in ``*``
        matches by prefix (``invoices/*``)."""
        a = t.audit_log
        stmt = select(a).where(a.c.seq > after).order_by(a.c.seq).limit(limit)
        if object_:
            stmt = stmt.where(a.c.object.startswith(object_[:-1], autoescape=True)
                              if object_.endswith("*") else a.c.object == object_)
        if since is not None:
            stmt = stmt.where(a.c.at >= since)
        with self.engine.connect() as conn:
            return [_shown(record_of(r)) for r in conn.execute(stmt)]

    def _audit_chain(self) -> Iterator[AuditRecord]:
        a, after = t.audit_log, 0
        while True:
            with self.engine.connect() as conn:
                rows = [record_of(r) for r in conn.execute(
                    select(a).where(a.c.seq > after).order_by(a.c.seq).limit(_BATCH))]
            yield from rows
            if len(rows) < _BATCH:
                return
            after = rows[-1].seq

    def verify_audit(self) -> dict[str, Any]:
        """Check every link of the chain and its head; name the first broken one."""
        h = t.audit_chain_head
        with self.engine.connect() as conn:
            head = conn.execute(select(h.c.seq, h.c.hash).where(h.c.id == 1)).one()
        checked, broken = verify_chain(self._audit_chain(), head.seq, head.hash)
        return {"ok": broken is None, "records": checked, "head": head.seq,
                "first_broken": broken.as_dict() if broken else None}


def _shown(r: AuditRecord) -> dict[str, Any]:
    return {"seq": r.seq, "at": r.at.isoformat(), "actor": r.actor, "action": r.action,
            "object": r.object, "reason": r.reason, "before_digest": r.before_digest,
            "after_digest": r.after_digest, "changes": r.changes, "prev_hash": r.prev_hash,
            "hash": r.hash}
