"""The exception queue: retry rows after master data was fixed, or dismiss them with a note."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hourbridge.domain.commands import DismissExceptions, RetryExceptions
from hourbridge.domain.problems import Problem
from hourbridge.domain.rating import RateBook
from hourbridge.errors import InvalidInput

from .deps import Collaborators
from .intake import process_rows, rejection
from .intake_kinds import KINDS, TIME
from .ports.uow import UnitOfWork
from .rows import Row


@dataclass
class RetryReport:
    retried: int = 0
    resolved: list[int] = field(default_factory=list)
    # each row still refused, with its reason as found now (kept on the exception too)
    still_open: dict[int, str] = field(default_factory=dict)
    was: dict[int, str] = field(default_factory=dict)  # the earlier reason, where it changed

    def as_dict(self) -> dict[str, Any]:
        reasons: dict[str, int] = defaultdict(int)
        for code in self.still_open.values():
            reasons[code] += 1
        return {"retried": self.retried, "resolved": self.resolved,
                "still_open": {str(k): v for k, v in self.still_open.items()},
                "reasons": dict(sorted(reasons.items())),
                "reason_changed": {str(k): {"was": v, "now": self.still_open[k]}
                                   for k, v in self.was.items()}}


def retry_exceptions(cmd: RetryExceptions, uow: UnitOfWork, now: datetime,
                     deps: Collaborators) -> RetryReport:
    """Re-run intake on the kept raw rows; an accepted row closes its exception as resolved,
    one still refused takes the reason found now (the cause may have changed: a project
    loaded, but the employee not assigned to it)."""
    ids, actor = cmd.exception_ids, cmd.actor
    report = RetryReport()
    with uow:
        items = uow.exceptions.open_items(ids, cmd.entities)
        md = uow.masterdata.snapshot()
        rates = RateBook(md)
        by_source: dict[tuple[str, int | None], list[tuple[int, dict[str, Any]]]]
        by_source = defaultdict(list)
        for exc_id, inbox_id, source, row in items:
            if row and inbox_id is not None:  # intake rows; others resolve by themselves
                by_source[(source, inbox_id)].append((exc_id, row))
        kinds = uow.inbox.kinds([i for _, i in by_source if i is not None])
        now_found: list[tuple[int, Problem]] = []
        for (source, inbox_id), group in by_source.items():
            rows: list[Row] = [(f"exception {exc_id}", row) for exc_id, row in group]
            assert inbox_id is not None
            kind = KINDS.get(kinds.get(inbox_id, ""), TIME)
            out = process_rows(uow, kind, source, inbox_id, rows, md, rates, now,
                              cmd.entities)
            rejected = dict(out.rejected)
            report.retried += len(rows)
            for index, (exc_id, row) in enumerate(group):
                if index in rejected:
                    problem = rejection(inbox_id, source, row, rejected[index]).problem
                    report.still_open[exc_id] = problem.code
                    now_found.append((exc_id, problem))
                else:
                    report.resolved.append(exc_id)
        uow.exceptions.close(report.resolved, "resolved", now, actor, "accepted on retry")
        report.was = uow.exceptions.reassess(now_found)
        uow.commit()
    return report


def dismiss_exceptions(cmd: DismissExceptions, uow: UnitOfWork, now: datetime,
                       deps: Collaborators) -> int:
    ids, actor, note = cmd.exception_ids, cmd.actor, cmd.note
    if not ids:
        raise InvalidInput("name the exception ids to dismiss")
    if not note.strip():
        raise InvalidInput("a dismissal needs a note saying why")
    with uow:
        open_ids = [i for i, *_ in uow.exceptions.open_items(ids, cmd.entities)]
        uow.exceptions.close(open_ids, "dismissed", now, actor, note)
        uow.commit()
    return len(open_ids)
