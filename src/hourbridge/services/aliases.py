"""Resolving an unknown tracker id (issue 11 item 5): a person adds the alias the exception
suggested (``domain.aliases.suggestions``) and every row that waited for that id is taken
again in the same call, like ``exceptions retry`` of exactly those rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hourbridge.domain import commands as c
from hourbridge.domain.aliases import KINDS, NAMES, candidates, suggestions
from hourbridge.domain.problems import Problem
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .exceptions import retry_exceptions
from .ports import UnitOfWork


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
    field = f"source_{cmd.kind}"
    with uow:
        waiting = [exc_id for exc_id, _, source, row in uow.exceptions.open_items(())
                   if source == cmd.source and isinstance(row, dict)
                   and str(row.get(field) or "") == cmd.external_id]
    shown: dict[str, Any] = {"source": cmd.source, "kind": cmd.kind,
                             "external_id": cmd.external_id, "code": cmd.code, "was": was,
                             "waiting": len(waiting), "resolved": 0, "still_open": {}}
    if waiting:
        report = retry_exceptions(c.RetryExceptions(tuple(waiting), cmd.actor), uow, now,
                                  deps)
        shown["resolved"] = len(report.resolved)
        shown["still_open"] = dict(report.still_open)
    return shown
