"""The publish plan (``domain.publication``): identity by key, never a second create; a
closed project archived, never created; a renamed one updated; assignments only for users
the tracker knows."""

from __future__ import annotations

from datetime import date

from hourbridge.domain.masterdata import MasterData
from hourbridge.domain.model import Assignment, Customer, Project, ProjectStatus, Task
from hourbridge.domain.publication import (
    Listed,
    Refs,
    code_in_name,
    offered,
    plan,
    shown_name,
    wanted,
)

TODAY = date(2026, 12, 6)


def firm(status: ProjectStatus = ProjectStatus.ACTIVE, name: str = "ERP") -> MasterData:
    return MasterData(
        customers={"ACME": Customer("ACME", "Acme AG", "DE", "EUR", "DE")},
        projects={"P1": Project("P1", name, "ACME", "DE", status,
                                tasks=(Task("DEV", "Development"),),
                                assignments=(Assignment("E1", date(2026, 1, 1)),
                                             Assignment("E2", date(2026, 1, 1),
                                                        date(2026, 6, 30)),
                                             Assignment("E3", date(2026, 1, 1))))})


def test_shown_names_carry_the_code() -> None:
    assert shown_name("P1", "ERP") == "[P1] ERP"
    assert code_in_name("[P1] ERP") == "P1" and code_in_name("ERP [P1]") == ""


def test_a_listed_item_with_the_same_key_is_not_created_again() -> None:
    items, _ = wanted(firm(), "project", Refs(), TODAY, {})
    listed = [Listed("project", "7", "P1", True, (("name", "[P1] ERP"), ("code", "P1")))]
    assert [s.verb for s in plan(items, listed, ["P1"], ("name", "code"))] == ["unchanged"]
    assert [s.verb for s in plan(items, [], [], ("name",))] == ["create"]
    # an archived twin does not hide the active one
    twins = [Listed("project", "6", "P1", False), listed[0]]
    step = plan(items, twins, ["P1", "P1"], ("name",))[0]
    assert (step.verb, step.external_id) == ("unchanged", "7")


def test_renamed_is_updated_closed_is_archived_and_never_created() -> None:
    listed = [Listed("project", "7", "P1", True, (("name", "[P1] ERP"),))]
    items, _ = wanted(firm(name="ERP 2"), "project", Refs(), TODAY, {})
    assert plan(items, listed, ["P1"], ("name",))[0].verb == "update"
    closed, _ = wanted(firm(ProjectStatus.CLOSED), "project", Refs(), TODAY, {})
    assert plan(closed, listed, ["P1"], ("name",))[0].verb == "archive"
    assert plan(closed, [], [], ("name",))[0].verb == "unchanged"
    # a closed project's customer is not offered
    assert wanted(firm(ProjectStatus.CLOSED), "client", Refs(), TODAY, {})[0] == []


def test_members_are_the_current_assignments_of_known_users() -> None:
    refs = Refs()
    refs.put("project", "P1", "7")
    items, skipped = wanted(firm(), "member", refs, TODAY, {"E1": "17"})
    assert [(i.key, dict(i.fields)) for i in items] == [
        ("P1/E1", {"project": "7", "user": "17", "team": "[P1] ERP"})]
    assert skipped == ["P1/E3: no user alias at this tracker"]  # E2's assignment ended


def test_a_member_no_longer_assigned_is_removed_only_where_hourbridge_names_it() -> None:
    items, _ = wanted(firm(), "member", Refs({"project": {"P1": "9"}}), TODAY,
                      {"E1": "17", "E2": "18"})
    listed = [Listed("member", "a", "17", True, parent="9"),  # E1: still assigned
              Listed("member", "b", "18", True, parent="9"),  # E2: ended 2026-06-30
              Listed("member", "c", "55", True, parent="9"),  # a user with no alias
              Listed("member", "d", "18", True, parent="8")]  # a project not offered
    keys = ["P1/E1", "P1/E2", "", "OLD/E2"]
    steps = plan(items, listed, keys, (), offered(firm()))
    assert [(s.verb, s.item.key, s.external_id) for s in steps] == [
        ("unchanged", "P1/E1", "a"), ("remove", "P1/E2", "b")]
    assert dict(steps[1].item.fields) == {"project": "9", "user": "18"}
    # without ``removable`` (the other kinds) nothing is ever removed
    assert [s.verb for s in plan(items, listed, keys, ())] == ["unchanged"]
    # a closed project's members are left as they are (the project is archived)
    assert not any(s.verb == "remove" for s in plan(
        [], listed, keys, (), offered(firm(ProjectStatus.CLOSED))))
