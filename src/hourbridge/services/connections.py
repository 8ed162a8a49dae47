"""Tracker connections and the pull sync (issue 11).

A sync pulls the connection's pages (fetched outside any transaction) and takes each through
the one intake as the tracker's own payload, kept in the inbox. The cursor is stored only after
the last page is committed: a sync killed half-way starts again from the old cursor, and the
pages it had taken come back as the same bytes (nothing added) or as rows already stored
(unchanged), so nothing is lost or taken twice. Trackers page in their own order (Harvest by
date, not by change), so a cursor advanced page by page could skip an entry.

A full sync pulls everything and then notices stored entries the source no longer has: each
becomes a deletion revision (a tombstone through intake: a revisable entry is marked deleted;
approved or billed work is queued as ``changed_after_approval``), never a silent delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.errors import Conflict, InvalidInput, NotFound, Permanent, UnreadablePayload

from .aliases import learn_aliases
from .deps import Collaborators
from .intake import IntakeReport, ingest
from .intake_kinds import TIME
from .ports import Connection, TrackerGateway, UnitOfWork
from .tracker_exports import mark_invoiced


@dataclass
class SyncReport:
    connection: str
    full: bool
    pages: int = 0
    cursor_before: str | None = None
    cursor_after: str | None = None
    gone: int = 0
    aliases: dict[str, Any] = field(default_factory=dict)
    exported: int = 0  # invoiced entries marked exported at the tracker by this sync
    totals: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, report: IntakeReport) -> None:
        counts = report.as_dict()
        for key in ("rows", "accepted", "revised", "unchanged", "rejected", "deleted"):
            self.totals[key] = self.totals.get(key, 0) + int(counts[key])
        self.totals["duplicate_pages"] = self.totals.get("duplicate_pages", 0) + int(
            report.duplicate_payload)
        for code, n in report.reasons.items():
            self.reasons[code] = self.reasons.get(code, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"connection": self.connection, "full": self.full, "pages": self.pages,
                "cursor_before": self.cursor_before, "cursor_after": self.cursor_after,
                "gone_from_source": self.gone, "aliases": self.aliases,
                "marked_exported": self.exported, **self.totals,
                "reasons": dict(sorted(self.reasons.items()))}


def tracker_gateway(deps: Collaborators) -> TrackerGateway:
    """The tracker connectors the application was built with (none: refused)."""
    if deps.trackers is None:
        raise Permanent("no tracker connectors are configured")
    return deps.trackers


def stored_connection(uow: UnitOfWork, name: str) -> Connection:
    """Connection ``name`` as stored (unknown: ``NotFound``), read in its own transaction."""
    with uow:
        found = uow.connections.get(name)
    if found is None:
        raise NotFound("connection", name)
    return found


def _tracker_connection(uow: UnitOfWork, name: str, gateway: TrackerGateway) -> Connection:
    """A tracker's connection; a CRM's (``hourbridge deals``) is refused in one line."""
    record = stored_connection(uow, name)
    if record.tracker not in gateway.trackers():
        raise InvalidInput(f"connection {name} is a {record.tracker} connection: pull it "
                           f"with `hourbridge deals pull {name}`")
    return record


def add_connection(cmd: c.AddConnection, uow: UnitOfWork, now: datetime,
                   deps: Collaborators) -> dict[str, Any]:
    gateway = tracker_gateway(deps)
    if cmd.tracker not in gateway.trackers():
        raise InvalidInput(f"unknown tracker {cmd.tracker!r}: one of "
                           f"{', '.join(gateway.trackers())}")
    secret = dict(cmd.secret.parts)
    missing = [p for p in gateway.required_parts(cmd.tracker) if not secret.get(p)]
    if missing:
        raise InvalidInput(f"a {cmd.tracker} connection needs {', '.join(missing)}")
    record = Connection(cmd.name, cmd.tracker, cmd.base_url.rstrip("/"), gateway.seal(secret))
    with uow:
        if not uow.connections.add(record, now):
            raise Conflict(f"connection {cmd.name!r} exists", "connection_exists")
        uow.commit()
    return describe(record)


def describe(record: Connection) -> dict[str, Any]:
    """What may be shown of a connection: never its secret."""
    return {"name": record.name, "tracker": record.tracker, "base_url": record.base_url,
            "cursor": record.cursor,
            "synced_at": record.synced_at.isoformat() if record.synced_at else None}


def list_connections(cmd: c.ListConnections, uow: UnitOfWork, now: datetime,
                     deps: Collaborators) -> list[dict[str, Any]]:
    with uow:
        return [describe(r) for r in uow.connections.all()]


def remove_connection(cmd: c.RemoveConnection, uow: UnitOfWork, now: datetime,
                      deps: Collaborators) -> dict[str, Any]:
    with uow:
        if not uow.connections.remove(cmd.name):
            raise NotFound("connection", cmd.name)
        uow.commit()
    return {"name": cmd.name, "removed": True}


def probe_connection(cmd: c.TestConnection, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> dict[str, Any]:
    record = _tracker_connection(uow, cmd.name, tracker_gateway(deps))
    tracker_gateway(deps).probe(record)
    return {"name": record.name, "ok": True, "aliases": learn_aliases(record, uow, now, deps)}


def _ids(payload: c.IncomingPayload) -> set[str]:
    try:
        return {str(row.get("external_id") or "") for _, row in payload.rows()} - {""}
    except UnreadablePayload:
        return set()


def sync_connection(cmd: c.SyncConnection, uow: UnitOfWork, now: datetime,
                    deps: Collaborators) -> SyncReport:
    gateway = tracker_gateway(deps)
    record = _tracker_connection(uow, cmd.name, gateway)
    cursor = None if cmd.full else record.cursor
    report = SyncReport(record.name, cmd.full, cursor_before=record.cursor)
    if cursor is None:
        # a first or full pull: the tracker's lists first, so its rows find the aliases
        # learnt from them (an incremental pull does not list again)
        report.aliases = learn_aliases(record, uow, now, deps)
    pull = gateway.pull(record, cursor, now)
    seen: set[str] = set()
    for payload in pull.pages:
        report.pages += 1
        report.add(ingest(TIME, record.name, payload, uow, now, deps.validator))
        if cmd.full:
            seen |= _ids(payload)
    if cmd.full:
        with uow:
            gone = sorted(uow.connections.live_entry_ids(record.name) - seen)
        if gone:
            report.gone = len(gone)
            # a revision above any the source gave: the tracker's update instants (seconds)
            tombstones = gateway.tombstones(record.name, gone, int(now.timestamp()))
            report.add(ingest(TIME, record.name, tombstones, uow, now, deps.validator))
    with uow:
        uow.connections.advance(record.name, pull.cursor_after, now)
        uow.commit()
    report.cursor_after = pull.cursor_after
    if gateway.marks_exported(record.tracker):
        # entries invoiced since the last sync are marked exported there (Kimai)
        report.exported = mark_invoiced(gateway, record, uow, now)["marked"]
    return report


def mark_exported(cmd: c.MarkExported, uow: UnitOfWork, now: datetime,
                  deps: Collaborators) -> dict[str, Any]:
    return mark_invoiced(tracker_gateway(deps), stored_connection(uow, cmd.name), uow, now,
                         cmd.limit)
