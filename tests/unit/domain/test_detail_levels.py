"""Invoice detail levels (issue 17, item 4): one grouping with a finer key, so every level
bills the same seconds of the same entries; nets differ only by per-line rounding."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hourbridge.domain.billing import (
    BillableItem,
    Detail,
    DraftInvoice,
    build_drafts,
    max_rounding_gap,
)
from hourbridge.domain.money import quantum

from .test_billing import billable_items, item

LEVELS = list(Detail)


@st.composite
def staffed_items(draw: st.DrawFn) -> list[BillableItem]:
    """Billable items worked by a few people, with notes."""
    return [replace(i, employee=draw(st.sampled_from(["E1", "E2", "E3"])),
                    notes=draw(st.sampled_from(["", "design", "call with \"ops\", later"])))
            for i in draw(billable_items())]


def by_invoice(drafts: list[DraftInvoice]) -> dict[tuple[str, str], DraftInvoice]:
    return {(d.contract, d.period): d for d in drafts}


@given(staffed_items())
def test_every_level_bills_the_same_seconds_of_the_same_entries(items: list[BillableItem]
                                                                ) -> None:
    billed = {}
    for level in LEVELS:
        drafts = build_drafts(items, level)
        billed[level] = {(d.contract, d.period): Counter(
            {(link.entry_id, ln.decision.rate): link.seconds for ln in d.lines
             for link in ln.links}) for d in drafts}
    assert billed[Detail.SUMMARY] == billed[Detail.EMPLOYEE] == billed[Detail.ENTRY]


@given(staffed_items())
def test_nets_differ_by_at_most_half_a_minor_unit_per_line(items: list[BillableItem]) -> None:
    levels = {level: by_invoice(build_drafts(items, level)) for level in LEVELS}
    summary = levels[Detail.SUMMARY]
    for level in (Detail.EMPLOYEE, Detail.ENTRY):
        assert levels[level].keys() == summary.keys()
        for key, draft in levels[level].items():
            gap = abs(draft.net - summary[key].net)
            assert gap <= max_rounding_gap(draft, summary[key])
            # ... and never more than the exact, unrounded value allows per line
            exact = sum((Decimal(ln.seconds) * ln.decision.rate / 3600 for ln in draft.lines),
                        Decimal(0))
            assert abs(draft.net - exact) <= quantum(draft.currency) / 2 * len(draft.lines)


@given(staffed_items())
def test_finer_levels_split_lines_never_merge_them(items: list[BillableItem]) -> None:
    count = {level: sum(len(d.lines) for d in build_drafts(items, level)) for level in LEVELS}
    assert count[Detail.SUMMARY] <= count[Detail.EMPLOYEE] <= count[Detail.ENTRY] == len(items)
    for d in build_drafts(items, Detail.EMPLOYEE):
        for ln in d.lines:
            assert {i.employee for i in items if i.entry_id in {lk.entry_id for lk in ln.links}
                    } == {ln.employee}


def test_whole_hours_at_whole_rates_bill_equal_nets() -> None:
    items = [item(n, 3600 * n, employee=f"E{n % 2}") for n in range(1, 6)]
    nets = {level: build_drafts(items, level)[0].net for level in LEVELS}
    assert len(set(nets.values())) == 1


def test_rounding_per_line_shows_where_levels_part() -> None:
    # 20 min at 130 = 43.333..: once per line it is 43.33 each, the summary 3 x 20 min = 130.00
    items = [item(n, 1200, day=date(2026, 1, n), employee=f"E{n}", notes=f"n{n}")
             for n in (1, 2, 3)]
    summary, employee, entry = (build_drafts(items, level)[0] for level in LEVELS)
    assert (summary.net, employee.net, entry.net) == (
        Decimal("130.00"), Decimal("129.99"), Decimal("129.99"))
    assert max_rounding_gap(summary, entry) == Decimal("0.020")
    assert [ln.describe() for ln in entry.lines] == [
        f"2026-01-0{n} P1 / dev — consultant E{n} @ 130.00 EUR/h: n{n}" for n in (1, 2, 3)]
    assert employee.lines[0].describe() == "P1 / dev — consultant E1 @ 130.00 EUR/h"
    assert summary.lines[0].describe() == "P1 / dev — consultant @ 130.00 EUR/h"
