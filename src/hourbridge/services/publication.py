"""Master data published to a connection's tracker (issue 11 item 7): kind by kind
(customers, projects, tasks, assignments), what the tracker lists is compared with what
Hourbridge offers (``domain.publication.plan``) and the difference is written there.

Retry-safe: every item found or created is recorded in the alias map at once, in its own
transaction, and every item is looked up before it is created (by its alias, else by the code
the tracker shows). A publish killed between a create and its record finds the item by its
code the next time, so each project is created exactly once. A create whose outcome is
unknown stops the publish (never sent again); updates set absolute values and are retried.
A dry run reads the tracker and writes nothing, here or there. Two publishes of one
connection run one after the other (``UnitOfWork.exclusive``).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.publication import VERBS, Listed, Refs, offered, plan, wanted
from hourbridge.errors import Permanent

from .connections import stored_connection, tracker_gateway
from .deps import Collaborators
from .ports import UnitOfWork
from .ports.connections import TrackerPublisher

# a refusal of the credentials stops the publish; any other refusal is this item's
_STOPS = (401, 403)


@dataclass
class PublishReport:
    connection: str
    dry_run: bool
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    steps: list[dict[str, str]] = field(default_factory=list)

    def count(self, kind: str, verb: str) -> None:
        per = self.counts.setdefault(kind, dict.fromkeys(VERBS, 0))
        per[verb] += 1

    def as_dict(self) -> dict[str, Any]:
        totals = {v: sum(per[v] for per in self.counts.values()) for v in VERBS}
        return {"connection": self.connection, "dry_run": self.dry_run, **totals,
                "by_kind": self.counts, "skipped": self.skipped, "refused": self.refused,
                "changes": [s for s in self.steps if s["verb"] != "unchanged"]}


def _keys(conn: str, kind: str, alias: str | None, listed: list[Listed],
          aliases: dict[tuple[str, str, str], str], refs: Refs) -> list[str]:
    """Each listed item's key where it can be told: its alias first, else the code it shows;
    under its project for a per-project kind."""
    projects = {ext: key for key, ext in refs.ids.get("project", {}).items()}
    tasks = {ext: key for key, ext in refs.ids.get("task", {}).items()}
    keys: list[str] = []
    for x in listed:
        if kind == "member":
            code = aliases.get((conn, "user", x.code), "")
        else:
            code = aliases.get((conn, alias, x.external_id), "") if alias else ""
            code = code or x.code or tasks.get(str(dict(x.fields).get("task") or ""), "")
        if kind in ("project_task", "member"):
            parent = projects.get(x.parent, "")
            code = f"{parent}/{code}" if parent and code else ""
        keys.append(code)
    return keys


def publish_masterdata(cmd: c.PublishMasterData, uow: UnitOfWork, now: datetime,
                       deps: Collaborators) -> dict[str, Any]:
    gateway = tracker_gateway(deps)
    record = stored_connection(uow, cmd.name)
    report = PublishReport(record.name, cmd.dry_run)
    # one publish per connection at a time: a second one waits, then reads the aliases the
    # first recorded and what the tracker lists now, so it creates nothing twice
    with (nullcontext() if cmd.dry_run else uow.exclusive("publication", record.name)):
        with uow:
            md = uow.masterdata.snapshot()
        with gateway.publisher(record) as publisher:
            _publish(publisher, record.name, md, cmd.dry_run, uow, now, report)
    return report.as_dict()


def _publish(publisher: TrackerPublisher, conn: str, md: MasterData, dry_run: bool,
             uow: UnitOfWork, now: datetime, report: PublishReport) -> None:
    aliases = {k: v for k, v in md.aliases.items() if k[0] == conn}
    users = {code: ext for (_, kind, ext), code in sorted(aliases.items(), reverse=True)
             if kind == "user"}
    refs = Refs()
    removable = offered(md)  # whose members Hourbridge decides
    for kind, alias in publisher.kinds():
        items, skipped = wanted(md, kind, refs, now.date(), users)
        report.skipped += skipped
        listed = publisher.listed(kind, refs.ids.get("project", {}))
        steps = plan(items, listed, _keys(conn, kind, alias, listed, aliases, refs),
                     publisher.compared(kind),
                     removable if kind == "member" else None)
        for step in steps:
            ext = step.external_id
            if step.verb != "unchanged" and not dry_run:
                try:
                    ext = publisher.apply(kind, step) or ext
                except Permanent as exc:
                    status = getattr(exc, "status", None)
                    if status is None or status in _STOPS:
                        raise  # the credentials, or an unknown outcome: stop here
                    report.refused.append(f"{kind} {step.item.key}: {exc}")
                    continue
                if alias and ext and aliases.get((conn, alias, ext)) != step.item.code:
                    with uow:  # at once: a publish killed after this finds it by its alias
                        uow.masterdata.put_alias(conn, alias, ext, step.item.code)
                        uow.commit()
                    aliases[(conn, alias, ext)] = step.item.code
            elif alias and ext and not dry_run and \
                    aliases.get((conn, alias, ext)) != step.item.code:
                with uow:  # found by its code: remembered by its id from now on
                    uow.masterdata.put_alias(conn, alias, ext, step.item.code)
                    uow.commit()
                aliases[(conn, alias, ext)] = step.item.code
            if ext and step.verb != "remove":
                refs.put(kind, step.item.key, ext)
            report.count(kind, step.verb)
            report.steps.append({"kind": kind, "verb": step.verb, "key": step.item.key,
                                 "external_id": ext})
