"""Resolving an unknown tracker id (issue 11 item 5): a person adds the alias the exception
suggested (``domain.aliases.suggestions``) and every row that waited for that id is taken
again in the same call, like ``exceptions retry`` of exactly those rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.aliases import KINDS, NAMES, candidates, suggestions
from hourbridge.domain.problems import Problem
from hourbridge.domain.publication import code_in_name
from hourbridge.errors import InvalidInput, Permanent, Retryable

from .deps import Collaborators
from .exceptions import retry_exceptions
from .ports import UnitOfWork
from .ports.connections import Connection


def add_alias(cmd: c.AddAlias, uow: UnitOfWork, now: datetime,
              deps: Collaborators) -> dict[str, Any]:
    if cmd.kind not in KINDS:
        raise InvalidInput(f"kind {cmd.kind!r}: one of {', '.join(KINDS)}")
    if not cmd.source or not cmd.external_id:
        raise InvalidInput("a source and the tracker's id are required")
    with uow:
        md = uow.masterdata.snapshot()
        if cmd.code not in candidates(md, cmd.kind):
            close = suggestions(md, cmd.kind, cmd.code)
            raise InvalidInput(f"no {NAMES[cmd.kind]} {cmd.code!r}" + (
                f"; did you mean {' or '.join(close)}?" if close else ""), [Problem(
                    "unknown_code", f"no {NAMES[cmd.kind]} {cmd.code!r}", "code", "code")])
        was = uow.masterdata.put_alias(cmd.source, cmd.kind, cmd.external_id, cmd.code)
        uow.commit()
    shown: dict[str, Any] = {"source": cmd.source, "kind": cmd.kind,
                             "external_id": cmd.external_id, "code": cmd.code, "was": was}
    return {**shown, **_take_waiting(cmd.source, {(cmd.kind, cmd.external_id)}, cmd.actor,
                                     uow, now, deps)}


def _take_waiting(source: str, keys: set[tuple[str, str]], actor: str, uow: UnitOfWork,
                  now: datetime, deps: Collaborators) -> dict[str, Any]:
    """Retry the open exceptions of ``source`` whose row names one of ``keys`` (kind, id)."""
    with uow:
        waiting = [exc_id for exc_id, _, src, row in uow.exceptions.open_items(())
                   if src == source and isinstance(row, dict) and any(
                       str(row.get(f"source_{kind}") or "") == ident for kind, ident in keys)]
    shown: dict[str, Any] = {"waiting": len(waiting), "resolved": 0, "still_open": {}}
    if waiting:
        report = retry_exceptions(c.RetryExceptions(tuple(waiting), actor), uow, now, deps)
        shown["resolved"] = len(report.resolved)
        shown["still_open"] = dict(report.still_open)
    return shown


def learn_aliases(connection: Connection, uow: UnitOfWork, now: datetime,
                  deps: Collaborators) -> dict[str, Any]:
    """Aliases learnt from the tracker's own lists (``connections test``, ``sync``): an id
    with no alias whose code or name there equals exactly one Hourbridge code of its kind
    (ignoring case) gets that code; anything less sure stays for a person, with the
    suggestions its exception shows. The rows that waited for a learnt id are taken."""
    gateway = deps.trackers
    if gateway is None:
        return {"learnt": 0}
    try:
        listed = list(gateway.directory(connection))
    except (Permanent, Retryable) as exc:  # the lists are a help: the sync goes on without
        return {"listed": 0, "learnt": 0, "unavailable": str(exc)}
    learnt: set[tuple[str, str]] = set()
    with uow:
        md = uow.masterdata.snapshot()
        for kind, ident, name, code in listed:
            if (connection.name, kind, ident) in md.aliases:
                continue
            # a name a publish gave (``[CODE] name``) names its code
            said = {s.casefold() for s in (name, code, code_in_name(name)) if s}
            matches = {ours for ours, label in candidates(md, kind).items()
                       if said & {s.casefold() for s in (ours, label) if s}}
            if len(matches) == 1:
                uow.masterdata.put_alias(connection.name, kind, ident, matches.pop())
                learnt.add((kind, ident))
        uow.commit()
    shown: dict[str, Any] = {"listed": len(listed), "learnt": len(learnt)}
    if learnt:
        shown.update(_take_waiting(connection.name, learnt, "learnt", uow, now, deps))
    return shown
