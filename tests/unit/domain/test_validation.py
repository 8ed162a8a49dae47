from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import (
    Assignment,
    Billing,
    ContractVersion,
    ProjectStatus,
    RateScope,
    RoundingMode,
    Task,
)
from hourbridge.domain.problems import REASON_OWNERS, Problem
from hourbridge.domain.rating import RateBook
from hourbridge.domain.validation import ValidatedEntry, content_key, role_on, validate_entry

D = Decimal


def run(build, md: MasterData | None = None, **entry_kw) -> ValidatedEntry | list[Problem]:
    md = build.md() if md is None else md
    return validate_entry(build.parsed(**entry_kw), "csv", md, RateBook(md), where="f.csv:2")


def ok(result: ValidatedEntry | list[Problem]) -> ValidatedEntry:
    assert isinstance(result, ValidatedEntry), result
    return result


def codes(result: ValidatedEntry | list[Problem]) -> list[str]:
    assert isinstance(result, list), result
    return [p.code for p in result]


def test_valid_billable_entry(build) -> None:
    v = ok(run(build, worked_seconds=3601))
    assert v.entity == "DE" and v.contract == "K1"
    assert v.decision is not None
    assert (v.decision.card, v.decision.row, v.decision.rate) == ("K1-RATES", "k-consultant",
                                                                  D(130))
    e = v.entry
    assert (e.source, e.external_id, e.employee, e.project, e.task) == (
        "csv", "e-1", "alice", "P1", "dev")
    assert e.billable is True and e.billing is Billing.UNBILLED
    assert e.worked_seconds == 3601  # never rewritten
    assert e.billable_seconds == 4500  # 15-minute steps, up


# --- each reason code ----------------------------------------------------------------------

def test_unknown_project(build) -> None:
    result = run(build, project="NOPE")
    assert codes(result) == ["unknown_project"]
    assert result[0].where == "f.csv:2" and result[0].field == "project"


def test_unknown_employee(build) -> None:
    result = run(build, employee="mallory")
    assert codes(result) == ["unknown_employee"]
    assert result[0].field == "employee"


def test_unknown_task(build) -> None:
    assert codes(run(build, task="nope")) == ["unknown_task"]


@pytest.mark.parametrize("status", [ProjectStatus.ON_HOLD, ProjectStatus.CLOSED])
def test_project_not_active(build, status: ProjectStatus) -> None:
    md = build.md(projects=[build.project(status=status)])
    assert codes(run(build, md)) == ["project_not_active"]


def test_locked_period_is_inclusive(build) -> None:
    md = build.md(entities=[build.entity(lock_date=date(2026, 1, 15))])
    assert codes(run(build, md, work_date=date(2026, 1, 15))) == ["locked_period"]
    ok(run(build, md, work_date=date(2026, 1, 16)))


def test_not_assigned(build) -> None:
    # carol's assignment ends on 31 January (inclusive)
    ok(run(build, employee="carol", work_date=date(2026, 1, 31)))
    result = run(build, employee="carol", work_date=date(2026, 2, 1))
    assert codes(result) == ["not_assigned"]
    md = build.md(projects=[build.project(assignments=())])
    assert codes(run(build, md)) == ["not_assigned"]


@pytest.mark.parametrize(
    ("contract_kw", "day"),
    [
        (dict(start_date=date(2026, 2, 1)), date(2026, 1, 31)),
        (dict(end_date=date(2026, 1, 14)), date(2026, 1, 15)),
        (dict(versions=()), date(2026, 1, 15)),
        (dict(versions=(ContractVersion(1, date(2026, 1, 16)),)), date(2026, 1, 15)),
    ],
)
def test_outside_contract_dates(build, contract_kw: dict, day: date) -> None:
    md = build.md(contracts=[build.contract(**contract_kw)])
    result = run(build, md, work_date=day)
    assert codes(result) == ["outside_contract_dates"]
    assert result[0].field == "date"


def test_contract_end_date_is_inclusive(build) -> None:
    md = build.md(contracts=[build.contract(end_date=date(2026, 1, 15))])
    ok(run(build, md, work_date=date(2026, 1, 15)))


def test_no_rate(build) -> None:
    md = build.md(rate_cards=[])
    result = run(build, md)
    assert codes(result) == ["no_rate"]
    assert result[0].where == "f.csv:2"


def test_rate_conflict(build) -> None:
    card = build.card("FIRM", RateScope.FIRM, build.row("a", 1), build.row("b", 2))
    result = run(build, build.md(rate_cards=[card]))
    assert codes(result) == ["rate_conflict"]
    assert result[0].where == "f.csv:2"
    assert result[0].details == {"rows": "FIRM/a, FIRM/b"}


def test_every_reason_code_has_an_owner() -> None:
    for code in ("unknown_project", "unknown_employee", "unknown_task", "project_not_active",
                 "locked_period", "not_assigned", "outside_contract_dates", "no_rate",
                 "rate_conflict"):
        assert code in REASON_OWNERS


def test_multiple_problems_reported_at_once(build) -> None:
    md = build.md(
        entities=[build.entity(lock_date=date(2026, 1, 31))],
        projects=[build.project(status=ProjectStatus.CLOSED)],
    )
    result = run(build, md, employee="mallory", task="nope")
    assert codes(result) == ["unknown_employee", "unknown_task", "project_not_active",
                             "locked_period"]
    result = run(build, md, employee="carol", work_date=date(2026, 1, 1), task="nope")
    assert set(codes(result)) == {"unknown_task", "project_not_active", "locked_period"}
    result = run(build, md, employee="carol", work_date=date(2026, 2, 1))
    assert codes(result) == ["project_not_active", "not_assigned"]


def test_unknown_project_and_employee_together(build) -> None:
    assert codes(run(build, project="NOPE", employee="mallory")) == [
        "unknown_employee", "unknown_project"]


def test_outside_contract_dates_alongside_other_problems(build) -> None:
    md = build.md(contracts=[build.contract(end_date=date(2026, 1, 10))],
                  projects=[build.project(status=ProjectStatus.ON_HOLD)])
    assert codes(run(build, md)) == ["project_not_active", "outside_contract_dates"]


# --- billability ---------------------------------------------------------------------------

def test_non_billable_task_is_not_a_problem(build) -> None:
    v = ok(run(build, task="admin"))
    assert v.entry.billable is False
    assert v.entry.billing is Billing.NON_BILLABLE
    assert v.entry.billable_seconds == 0
    assert v.entry.worked_seconds == 3600
    assert v.decision is None
    assert v.contract == "K1"


def test_row_marked_non_billable(build) -> None:
    v = ok(run(build, billable=False))
    assert (v.entry.billable, v.entry.billing, v.decision) == (False, Billing.NON_BILLABLE, None)


def test_non_billable_entry_needs_no_rate_nor_contract_dates(build) -> None:
    md = build.md(rate_cards=[], contracts=[build.contract(end_date=date(2026, 1, 1))])
    v = ok(run(build, md, task="admin"))
    assert v.entry.billing is Billing.NON_BILLABLE


def test_project_without_contract_is_non_billable(build) -> None:
    md = build.md(projects=[build.project(contract=None)], rate_cards=[])
    v = ok(run(build, md))
    assert v.entry.billable is False
    assert v.entry.billing is Billing.NON_BILLABLE
    assert v.contract is None and v.decision is None


def test_entry_without_task(build) -> None:
    v = ok(run(build, task=""))
    assert v.entry.task == "" and v.entry.billable is True


# --- rounding and role ---------------------------------------------------------------------

def test_billable_seconds_uses_contract_version_in_force(build) -> None:
    versions = (
        build.version(1, date(2026, 1, 1), increment=15, mode=RoundingMode.UP),
        build.version(2, date(2026, 1, 16), increment=6, mode=RoundingMode.DOWN),
    )
    md = build.md(contracts=[build.contract(versions=versions)])
    before = ok(run(build, md, work_date=date(2026, 1, 15), worked_seconds=800))
    after = ok(run(build, md, work_date=date(2026, 1, 16), worked_seconds=800))
    assert before.entry.billable_seconds == 900  # up to 15 minutes
    assert after.entry.billable_seconds == 720  # down to 12 minutes
    assert before.decision is not None and after.decision is not None
    assert (before.decision.contract_version, after.decision.contract_version) == (1, 2)
    assert before.entry.worked_seconds == after.entry.worked_seconds == 800


def test_minimum_applies_per_entry(build) -> None:
    md = build.md(contracts=[build.contract(versions=(build.version(minimum=30),))])
    assert ok(run(build, md, worked_seconds=60)).entry.billable_seconds == 1800


def test_assignment_role_overrides_employee_role(build) -> None:
    md = build.md()
    assert md.employees["bob"].role == "senior"
    assert role_on(md, "bob", "P1", date(2026, 1, 15)) == "lead"
    assert role_on(md, "alice", "P1", date(2026, 1, 15)) == "consultant"
    v = ok(run(build, md, employee="bob"))
    assert v.decision is not None
    assert (v.decision.row, v.decision.rate) == ("f-lead", D(150))


def test_assignment_role_only_while_assignment_covers_day(build) -> None:
    project = build.project(assignments=(
        Assignment("bob", date(2026, 1, 1), date(2026, 1, 15), role="lead"),
        Assignment("bob", date(2026, 1, 16)),
    ))
    md = build.md(projects=[project])
    first = ok(run(build, md, employee="bob", work_date=date(2026, 1, 15)))
    second = ok(run(build, md, employee="bob", work_date=date(2026, 1, 16)))
    assert first.decision is not None and second.decision is not None
    assert first.decision.row == "f-lead"
    assert second.decision.row == "f-default"  # role "senior" has no row: card default


# --- content key ---------------------------------------------------------------------------

def test_content_key_is_stable_and_sensitive() -> None:
    args = ("alice", "P1", "dev", date(2026, 1, 15), 3600, "notes")
    key = content_key(*args)
    assert key == content_key(*args)
    assert len(key) == 32
    assert key != content_key("alice", "P1", "dev", date(2026, 1, 15), 3601, "notes")
    # the separator keeps field boundaries: ("ab","c") differs from ("a","bc")
    assert content_key("ab", "c", "", date(2026, 1, 1), 1, "") != content_key(
        "a", "bc", "", date(2026, 1, 1), 1, "")


def test_task_lookup_does_not_leak_between_projects(build) -> None:
    other = build.project("P2", tasks=(Task("design", "Design"),))
    md = build.md(projects=[build.project(), other])
    assert codes(run(build, md, project="P2", task="dev")) == ["unknown_task"]
    assert ok(run(build, md, project="P1", task="dev")).entry.project == "P1"
