"""Issuing's statements do not grow with the invoices (issue 16, item 3): a call issues its
drafts in chunks of set-based statements, so issuing 100 invoices sends as many statements as
issuing 10 (one chunk each), and a call split into chunks sends a constant number per chunk."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.services import invoicing

from .conftest import load


def _bundle(base: dict[str, Any], contracts: int) -> dict[str, Any]:
    """``base`` with ``contracts`` copies of its T&M contract K1 and project P1 (K1..Kn,
    P1..Pn): a billing run drafts one invoice per contract."""
    bundle = copy.deepcopy(base)
    contract, project = bundle["contracts"][0], bundle["projects"][0]
    bundle["contracts"] = [{**copy.deepcopy(contract), "id": f"K{i}"}
                           for i in range(1, contracts + 1)]
    bundle["projects"] = [{**copy.deepcopy(project), "code": f"P{i}", "contract": f"K{i}"}
                          for i in range(1, contracts + 1)] + bundle["projects"][1:]
    return bundle


def _issue_counting(hb: Hourbridge, projects: range, ingest: Any) -> tuple[int, int]:
    """Bill three entries on each of ``projects`` and issue every draft; (invoices issued,
    statements the issue sent)."""
    ingest([(f"S{p}-{k}", "E1" if k % 2 else "E2", f"P{p}", "DEV",
             f"2026-09-{1 + k:02d}", f"{1 + k}.5", f"work {k}")
            for p in projects for k in range(3)], name=f"s{projects.start}.csv")
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 9, 1)))
    hb.handle(c.RunBilling(date(2026, 10, 31)))
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(hb.engine, "before_cursor_execute", note)
    try:
        report = hb.handle(c.IssueInvoices(all_drafts=True))
    finally:
        event.remove(hb.engine, "before_cursor_execute", note)
    return len(report.issued), len(seen)


def test_statements_per_issue_do_not_grow_with_the_invoices(
        hb: Hourbridge, small_bundle: dict[str, Any], ingest: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    load(hb, _bundle(small_bundle, 230))
    ten = _issue_counting(hb, range(1, 11), ingest)
    hundred = _issue_counting(hb, range(11, 111), ingest)
    # the same hundred-and-twenty drafts' worth again, in chunks of 10: twelve chunks
    monkeypatch.setattr(invoicing, "BATCH", 10)
    chunked = _issue_counting(hb, range(111, 231), ingest)
    print(f"issuing: statements for 10 invoices {ten[1]}, for 100 {hundred[1]}, "
          f"for 120 in chunks of 10 {chunked[1]}")
    assert (ten[0], hundred[0], chunked[0]) == (10, 100, 120)
    # one chunk either way: not a statement more for ten times the invoices
    assert hundred[1] == ten[1]
    # eleven chunks more than one call of one chunk: a constant number of statements per
    # chunk (no more than a whole call's), none per invoice
    per_chunk, rest = divmod(chunked[1] - ten[1], 11)
    assert rest == 0 and 0 < per_chunk < ten[1]
    with hb.engine.connect() as conn:
        numbers = [s for (s,) in conn.execute(text(
            "SELECT sequence FROM invoices WHERE status = 'issued' ORDER BY sequence"))]
        postings = conn.execute(text(
            "SELECT count(*) FROM outbox WHERE key LIKE 'invoice-issued:%'")).scalar_one()
    assert numbers == list(range(1, 231))  # gapless across the three calls
    assert postings == 230
