"""plan_load: nested parts merge by key; removals only by marker or replace; the diff."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hourbridge.domain.bundle import Bundle
from hourbridge.domain.bundle_plan import FieldChange, PartChange, plan_load
from hourbridge.domain.model import Assignment, Task

AUG1 = date(2026, 8, 1)


def test_a_record_naming_some_parts_keeps_the_others(build) -> None:
    stored = build.md()
    project = build.project(tasks=(Task("dev", "Dev work"),),
                            assignments=(Assignment("dave", AUG1),))
    plan = plan_load(Bundle(projects=(project,)), stored)
    [merged] = plan.bundle.projects
    assert [t.code for t in merged.tasks] == ["dev", "admin"]
    assert [a.employee for a in merged.assignments] == ["alice", "bob", "carol", "dave"]
    [change] = plan.changes
    assert change.parts == (
        PartChange("tasks", "dev", "changed", (FieldChange("name", "Development", "Dev work"),)),
        PartChange("assignments", "dave@2026-08-01", "added"))
    assert plan.counts == {"projects": {"created": 0, "updated": 1, "unchanged": 0}}


def test_removal_by_marker_and_by_replace(build) -> None:
    stored = build.md()
    project = build.project(tasks=(), assignments=())
    marked = Bundle(projects=(project,), removals=frozenset({
        ("projects", "P1", "assignments", "bob@2026-01-01"), ("projects", "P1", "tasks", "x")}))
    [change] = plan_load(marked, stored).changes
    assert change.parts == (PartChange("assignments", "bob@2026-01-01", "removed"),)
    whole = plan_load(replace(Bundle(projects=(project,)), replace_parts=True), stored)
    assert whole.bundle.projects[0].tasks == () and whole.bundle.projects[0].assignments == ()
    assert len([p for p in whole.changes[0].parts if p.action == "removed"]) == 5


def test_unchanged_record_and_field_changes(build) -> None:
    stored = build.md()
    same = plan_load(Bundle(projects=(build.project(),)), stored)
    assert same.changes == () and same.counts["projects"]["unchanged"] == 1
    renamed = plan_load(Bundle(entities=(build.entity(name="New GmbH"),)), stored)
    assert renamed.changes[0].fields == (FieldChange("name", "Firm GmbH", "New GmbH"),)


def test_a_part_given_twice_or_given_and_removed_is_a_problem(build) -> None:
    project = build.project(tasks=(), assignments=(Assignment("dave", AUG1),
                                                   Assignment("dave", AUG1)))
    plan = plan_load(Bundle(projects=(project,), removals=frozenset({
        ("projects", "P1", "assignments", "dave@2026-08-01")})), build.md())
    assert [p.code for p in plan.problems] == ["duplicate_key", "invalid_field"]
