"""The pure parts of voids and corrections: the reversing and re-valuing journal entries,
tombstone rows, the proposed action and the adjustment line."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.billing import LineLink
from hourbridge.domain.corrections import (
    AdjustmentLine,
    changed_fields,
    proposed_action,
)
from hourbridge.domain.intake import parse_row
from hourbridge.domain.ledger import (
    JournalEntry,
    WipAmount,
    issue_entry,
    revision_entry,
    void_entry,
)
from hourbridge.domain.rating import RateDecision

D = Decimal
ON = date(2026, 11, 2)
cents = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n).scaleb(-2))


def net_by_account(*entries: JournalEntry) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for entry in entries:
        for p in entry.postings:
            out[p.account] += p.debit - p.credit
    return {k: v for k, v in out.items() if v}


@given(net=cents, tax=cents, wip=st.lists(cents, max_size=4))
def test_a_void_is_the_exact_mirror_of_the_issue_posting(
        build: Any, net: Decimal, tax: Decimal, wip: list[Decimal]) -> None:
    entity = build.entity()
    booked = [WipAmount("ACME", f"P{i}", w) for i, w in enumerate(wip)]
    if net + tax == 0:
        return  # nothing to post either way
    issued = issue_entry("i", entity, "DE-000001", "ACME", "EUR", ON, net, tax, booked)
    voided = void_entry("v", entity, "DE-000001", "ACME", "EUR", ON, net, tax, booked)
    assert voided.imbalance() == {}
    assert net_by_account(issued, voided) == {}  # together they leave nothing behind
    assert voided.source_type == "invoice_void" and voided.memo == "void of invoice DE-000001"


@given(old=cents, new=cents, moved=st.booleans())
def test_a_revision_moves_wip_from_old_to_new_value(build: Any, old: Decimal, new: Decimal,
                                                    moved: bool) -> None:
    before = WipAmount("ACME", "P1", old)
    after = WipAmount("ACME", "P2" if moved else "P1", new)
    entry = revision_entry("correction:DE:1", build.entity(), "EUR", ON, before, after, "m")
    if old == new and (not moved or old == 0):
        assert entry is None
        return
    assert entry is not None and entry.imbalance() == {}
    accounts = net_by_account(entry)
    assert accounts.get("1210", D(0)) == new - old  # unbilled receivables now hold the new
    assert accounts.get("4090", D(0)) == old - new  # the difference is visible on its own
    by_project: dict[str | None, Decimal] = defaultdict(Decimal)
    for p in entry.postings:
        if p.account == "1210":
            by_project[p.project] += p.debit - p.credit
    if moved:
        assert by_project["P1"] == -old and by_project["P2"] == new


def test_a_tombstone_needs_only_its_id() -> None:
    parsed = parse_row({"external_id": "x1", "deleted": "true", "revision": "3"}, "f:2")
    assert not isinstance(parsed, list)
    assert (parsed.external_id, parsed.revision, parsed.deleted) == ("x1", 3, True)
    assert parse_row({"deleted": "yes"}, "f:3") == parse_row({"deleted": True}, "f:3")
    [problem] = parse_row({"deleted": "yes"}, "f:3")  # type: ignore[misc]
    assert (problem.code, problem.field) == ("invalid_format", "external_id")
    [problem] = parse_row({"external_id": "x", "deleted": "maybe"}, "f:4")  # type: ignore[misc]
    assert (problem.code, problem.field) == ("invalid_format", "deleted")
    kept = parse_row({"external_id": "x", "deleted": "false", "employee": "E1",
                      "project": "P1", "date": "2026-08-10", "hours": "1"}, "f:5")
    assert not isinstance(kept, list) and not kept.deleted


def test_the_action_follows_the_contract_policy_once_a_number_is_out() -> None:
    assert proposed_action("credit_and_rebill", True) == "credit_and_rebill"
    assert proposed_action("next_invoice_adjustment", True) == "next_invoice_adjustment"
    assert proposed_action("next_invoice_adjustment", False) == "redraft"
    with pytest.raises(ValueError, match="correction policy"):
        proposed_action("guess", True)


def test_changed_fields_name_what_differs() -> None:
    before = {"employee": "E1", "project": "P1", "task": "DEV", "work_date": "2026-08-10",
              "worked_seconds": 3600, "billable_seconds": 3600, "billable": True,
              "notes": "n", "revision": 1}
    after = {**before, "worked_seconds": 5400, "billable_seconds": 5400, "revision": 2}
    assert changed_fields(before, after) == ["worked_seconds", "billable_seconds"]
    assert changed_fields(before, None) == ["deleted"]


def test_an_adjustment_line_carries_the_priced_difference_not_seconds_times_rate() -> None:
    decision = RateDecision(rate=D("165.00"), currency="EUR", card="C", row="r", rule="role",
                            scope="firm", contract_version=1)
    line = AdjustmentLine("P1", "DEV", "senior", decision, "EUR", [LineLink(2, -3600)],
                          fixed_amount=D("-165.00"), note="correction of entry h2")
    assert (line.seconds, line.quantity_hours, line.amount) == (-3600, D(-1), D("-165.00"))
    assert line.describe() == "correction of entry h2"
