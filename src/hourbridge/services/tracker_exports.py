"""Invoiced entries marked exported at their tracker (issue 11: Kimai's ``exported`` flag), so
the firm's Kimai users see what was billed and cannot change it unnoticed.

Each entry is marked with an absolute write (Kimai ``PATCH /api/timesheets/{id}``
``{"exported": true}``, never the toggling ``PATCH .../export``), so sending it twice is
harmless: the marks are recorded after the tracker answered, a batch at a time, and a run cut
short (a kill, the tracker unavailable) is simply run again; two runs at once send some marks
twice and record each once. ``hourbridge connections mark-exported`` runs it, and so does each
``sync`` of a tracker that has the flag.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .ports import UnitOfWork
from .ports.connections import Connection, TrackerGateway

BATCH = 100


def mark_invoiced(gateway: TrackerGateway, record: Connection, uow: UnitOfWork,
                  now: datetime, limit: int = 100_000) -> dict[str, Any]:
    """Mark the connection's invoiced entries not marked yet, at most ``limit``."""
    gateway.mark_exported(record, [])  # refused now when the tracker has no such flag
    marked = 0
    refused: dict[str, str] = {}
    while marked + len(refused) < limit:
        with uow:
            todo = [i for i in uow.connections.unmarked_invoiced(
                record.name, BATCH + len(refused)) if i not in refused]
        todo = todo[:min(BATCH, limit - marked - len(refused))]
        if not todo:
            break
        done: list[str] = []
        try:
            for external_id, reason in gateway.mark_exported(record, todo):
                if reason is None:
                    done.append(external_id)
                else:
                    refused[external_id] = reason
        finally:
            # what the tracker confirmed is recorded even when the batch stopped half-way
            with uow:
                marked += uow.connections.record_exported(record.name, done, now)
                uow.commit()
    return {"name": record.name, "marked": marked, "refused": len(refused),
            "refused_ids": dict(sorted(refused.items())[:50])}
