"""Issuing in batches (issue 16, item 3): several batches in one call number gaplessly in
draft order and relieve each entry's WIP exactly once, as issuing one by one did."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.services import invoicing


def _rows() -> list[tuple[Any, ...]]:
    # P1 work over five months: five drafts (one per contract and month)
    return [(f"B{i}", "E1" if i % 2 else "E2", "P1", "DEV",
             f"2026-{7 + i % 5:02d}-{1 + i % 27:02d}", f"{1 + i % 4}.25", f"task {i}")
            for i in range(60)]


def test_batches_number_in_draft_order_and_relieve_each_entry_once(
        loaded: Hourbridge, ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invoicing, "BATCH", 2)  # five drafts: three batches
    ingest(_rows())
    loaded.handle(c.ApproveEntries("pm", project="P1"))
    drafts = loaded.handle(c.RunBilling(date(2026, 11, 30))).invoices
    assert len(drafts) == 5
    report = loaded.handle(c.IssueInvoices(all_drafts=True))

    ids = sorted(d["id"] for d in drafts)
    assert [i["id"] for i in report.issued] == ids
    with loaded.engine.connect() as conn:
        sequences = [s for (s,) in conn.execute(text(
            "SELECT sequence FROM invoices ORDER BY id"))]
        entries = conn.execute(text(
            "SELECT billable_seconds, relieved_seconds, wip_amount, wip_relieved, billing, "
            "locked FROM time_entries WHERE billable_seconds > 0")).all()
    assert sequences == list(range(1, 6))
    assert entries and all(
        (s, w, b, bool(locked)) == (r, wr, "invoiced", True)
        for s, r, w, wr, b, locked in entries)
    # what the journals take out of unbilled receivables is the WIP approval booked
    booked = sum((Decimal(str(w)) for _, _, w, _, _, _ in entries), Decimal(0))
    assert sum((Decimal(i["wip_relieved"]) for i in report.issued), Decimal(0)) == booked
