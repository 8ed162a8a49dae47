"""After approval, billing or issuing updates many entries, PostgreSQL's statistics are
refreshed for the columns that update wrote, and only those (``bulk.analyze_if_grown``). A
written column left out keeps statistics that no longer hold, which is a trap: with
``approved_at`` left out they still said "always null" after an approval, and the KPI
rollup of a billing run's links was planned for one row (a 1M-entry run's COPY of links took
minutes). So each tuple must name every column its statements write: held here against the
statements the three commands send, on both engines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.store import tables as t

# anywhere in a statement: on PostgreSQL billing's and issuing's UPDATEs are inside a WITH
_SET = re.compile(r"\bUPDATE\s+time_entries\s+SET\s+(.*?)(?:\s+FROM\s|\s+WHERE\s|$)",
                  re.IGNORECASE | re.DOTALL)
_ASSIGNED = re.compile(r"(?:^|,)\s*(\w+)\s*=")


@contextmanager
def _written(hb: Hourbridge) -> Iterator[set[str]]:
    """The columns of ``time_entries`` the statements sent meanwhile set."""
    columns: set[str] = set()

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        m = _SET.search(statement)
        if m is not None:
            # CASE … END values hold no top-level "name =", but their WHEN may: drop them
            assignments = re.sub(r"CASE\b.*?\bEND", "x", m.group(1), flags=re.DOTALL)
            columns.update(_ASSIGNED.findall(assignments))

    event.listen(hb.engine, "before_cursor_execute", seen)
    try:
        yield columns
    finally:
        event.remove(hb.engine, "before_cursor_execute", seen)


def test_each_bulk_update_refreshes_every_column_it_writes(
        loaded: Hourbridge, ingest: Callable[..., Any]) -> None:
    ingest([(f"S{i}", "E1", "P1", "DEV", f"2026-09-{1 + i:02d}", "1.5", f"work {i}")
            for i in range(6)])
    with _written(loaded) as approving:
        loaded.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    with _written(loaded) as billing:
        assert loaded.handle(c.RunBilling(date(2026, 12, 31))).entries_billed == 6
    with _written(loaded) as issuing:
        assert loaded.handle(c.IssueInvoices(all_drafts=True)).issued
    for written, declared in ((approving, t.APPROVAL_COLUMNS), (billing, t.BILLING_COLUMNS),
                              (issuing, t.ISSUING_COLUMNS)):
        assert written, "the command sent no UPDATE of time_entries: the test saw nothing"
        if "billing" in written:
            written.add("billing_open")  # generated from billing
        assert written <= set(declared), sorted(written - set(declared))
