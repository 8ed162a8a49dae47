"""Why an entry did not bill: each state gives its reason, several at once where fixing one
alone would not bill it, none once its time is on a live invoice; every code is registered
and stays out of the exception queue's reasons."""

from __future__ import annotations

import dataclasses

from hourbridge.domain.lineage import EntryFacts, why_not_billed
from hourbridge.domain.problems import REASON_OWNERS, UNBILLED_REASONS
from hourbridge.domain.reasons import EXCEPTION_REASONS

OPEN = EntryFacts(approval="approved", billing="unbilled", billable=True, deleted=False,
                  billable_seconds=3600, billed_seconds=0, written_off_seconds=0)


def codes(facts: EntryFacts) -> list[str]:
    return [p.code for p in why_not_billed(facts)]


def test_each_state_gives_its_reason() -> None:
    cases = {
        "awaiting_billing_run": OPEN,
        "not_approved": dataclasses.replace(OPEN, approval="submitted"),
        "rejected": dataclasses.replace(OPEN, approval="rejected"),
        "non_billable": dataclasses.replace(OPEN, billable=False, billing="non_billable"),
        "deleted_at_source": dataclasses.replace(OPEN, deleted=True),
        "on_draft": dataclasses.replace(OPEN, billing="on_draft", billed_seconds=3600),
        "written_off": dataclasses.replace(OPEN, billing="written_off",
                                           written_off_seconds=3600),
        "covered_by_fee": dataclasses.replace(OPEN, billing="covered"),
        "correction_open": dataclasses.replace(OPEN, open_corrections=1),
        "over_cap": dataclasses.replace(OPEN, hold_cap="5 h",
                                        passed_by_run=(3, "2026-08-31")),
    }
    for code, facts in cases.items():
        assert codes(facts) == [code]


def test_all_blocking_reasons_are_listed() -> None:
    held = dataclasses.replace(OPEN, approval="submitted",
                               holds=(("project", "P1", "dispute"), ("customer", "C", "other")))
    problems = why_not_billed(held)
    assert [p.code for p in problems] == ["not_approved", "on_hold", "on_hold"]
    assert "P1" in problems[1].message and problems[2].field == "customer"


def test_invoiced_time_needs_no_reason() -> None:
    assert codes(dataclasses.replace(OPEN, billing="invoiced", billed_seconds=3600)) == []
    # a credit note (rebill) gave the seconds back: they bill again at the next run
    assert codes(dataclasses.replace(OPEN, billing="credited")) == ["awaiting_billing_run"]


def test_codes_are_registered_and_never_queued() -> None:
    assert set(REASON_OWNERS) >= UNBILLED_REASONS
    assert not UNBILLED_REASONS & set(EXCEPTION_REASONS)


def test_a_cap_explains_only_what_a_run_passed_over() -> None:
    # capped, but no run has reached the entry yet: it is waiting, not held
    assert codes(dataclasses.replace(OPEN, hold_cap="5 h")) == ["awaiting_billing_run"]
