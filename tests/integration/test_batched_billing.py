"""Billing in bulk (issue 16, item 2): a run reads the open entries of groups of contracts in
one query each and writes the drafts of many contracts in one set of bulk statements. With
groups of one contract and a flush after every contract, or one group and one flush for the
run, the result is the same: one draft per contract and month, every open second linked
once, entries on_draft, the report's ids the stored invoices in order, nothing left open."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from hourbridge.bootstrap import Hourbridge
from hourbridge.domain import commands as c
from hourbridge.services import billing, billing_writer
from support.firm import small_firm_bundle

CONTRACTS = ("K1", "K2", "K3")


def _firm() -> dict[str, Any]:
    """The small firm with two more contracts of ACME (K2, K3), a project each (P2, P3)."""
    bundle = small_firm_bundle()
    k1, p1 = bundle["contracts"][0], bundle["projects"][0]
    for n in (2, 3):
        bundle["contracts"].append({**copy.deepcopy(k1), "id": f"K{n}"})
        bundle["projects"].append({**copy.deepcopy(p1), "code": f"P{n}", "contract": f"K{n}",
                                   "name": f"Project {n}"})
    return bundle


def _rows() -> list[tuple[Any, ...]]:
    # three contracts, three months each: nine drafts
    return [(f"G{i}", "E1" if i % 2 else "E2", f"P{1 + i % 3}", "DEV",
             f"2026-{7 + i // 3 % 3:02d}-{1 + i % 27:02d}", f"{1 + i % 4}.25", f"work {i}")
            for i in range(90)]


@pytest.mark.parametrize("group, batch", [(1, 1), (2, 4)])
def test_groups_and_batches_bill_the_same(
        hb: Hourbridge, load_bundle: Callable[[dict[str, Any]], Any],
        ingest: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, group: int,
        batch: int) -> None:
    monkeypatch.setattr(billing, "GROUP_ENTRIES", group)
    monkeypatch.setattr(billing_writer.DraftWriter, "BATCH", batch)
    load_bundle(_firm())
    ingest(_rows())
    hb.handle(c.ApproveEntries("pm", date_from=date(2026, 7, 1)))
    report = hb.handle(c.RunBilling(date(2026, 9, 30)))

    assert [(d["contract"], d["period"]) for d in report.invoices] == [
        (k, f"2026-{m:02d}") for k in CONTRACTS for m in (7, 8, 9)]
    assert report.entries_billed == 90
    with hb.engine.connect() as conn:
        stored = [(i, k, p, runs) for i, k, p, runs in conn.execute(text(
            "SELECT id, contract, period, billing_run FROM invoices ORDER BY id"))]
        entries = conn.execute(text(
            "SELECT te.id, te.contract, te.billable_seconds, te.billed_seconds, te.billing, "
            "COALESCE(SUM(le.seconds), 0), COUNT(le.line) FROM time_entries te "
            "LEFT JOIN invoice_line_entries le ON le.entry = te.id "
            "GROUP BY te.id, te.contract, te.billable_seconds, te.billed_seconds, te.billing"
        )).all()
        lines = conn.execute(text(
            "SELECT l.invoice, i.contract, te.contract FROM invoice_line_entries le "
            "JOIN invoice_lines l ON l.id = le.line JOIN invoices i ON i.id = l.invoice "
            "JOIN time_entries te ON te.id = le.entry")).all()
    # the report's drafts are the stored ones, in order, all of one run
    assert [d["id"] for d in report.invoices] == [i for i, _, _, _ in stored]
    assert [(k, p) for _, k, p, _ in stored] == [
        (d["contract"], d["period"]) for d in report.invoices]
    assert len({r for _, _, _, r in stored}) == 1
    # every entry billed whole, once, on a draft of its own contract
    assert len(entries) == 90
    assert all(b == s == linked and links == 1 and state == "on_draft"
               for _, _, s, b, state, linked, links in entries)
    assert all(k_invoice == k_entry for _, k_invoice, k_entry in lines)
    # nothing left open: a second run bills nothing and leaves no trace
    again = hb.handle(c.RunBilling(date(2026, 9, 30)))
    assert again.invoices == [] and again.entries_billed == 0 and again.run_id is None


def test_groups_hold_about_a_page_of_entries() -> None:
    scope = billing._Scope(["A", "B", "C", "D", "E"], set(), set(),
                           {"A": 3, "B": 3, "C": 10, "E": 1})
    assert list(scope.groups(6)) == [["A", "B"], ["C"], ["D", "E"]]
    assert list(scope.groups(100)) == [["A", "B", "C", "D", "E"]]
    assert list(scope.groups(1)) == [["A"], ["B"], ["C"], ["D", "E"]]
