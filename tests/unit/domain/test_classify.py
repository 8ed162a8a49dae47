"""The revision rule of every intake kind (``domain.classify``)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hourbridge.domain.classify import IntakeRules, Outcome, classify

TIME = IntakeRules("entry", approval_is_final=True, corrects=True,
                   same_content="content as an entry", final_state="{approval}/{billing}",
                   final_note="approved work is not rewritten")
EXPENSE = IntakeRules("expense", approval_is_final=False, corrects=False,
                      same_content="content as an expense", final_state="{billing}",
                      final_note="billed expenses are not rewritten")


@dataclass(frozen=True)
class Stored:
    revision: int = 1
    content_key: str = "k1"
    approval: str = "submitted"
    billing: str = "unbilled"
    deleted: bool = False
    on_invoice: bool = False


def decide(stored: Stored | None, *, key: str = "k2", revision: int = 2, deleted: bool = False,
           rules: IntakeRules = TIME, id_seen: bool = False,
           content_seen: bool = False) -> Outcome:
    outcome, problem = classify("x1", revision, key, deleted, stored, id_seen=id_seen,
                                content_seen=content_seen, rules=rules, where="f:2")
    assert (problem is not None) == (outcome in (Outcome.DUPLICATE,
                                                 Outcome.CHANGED_AFTER_APPROVAL))
    return outcome


def test_new_duplicate_and_unchanged() -> None:
    assert decide(None) is Outcome.NEW
    assert decide(None, content_seen=True) is Outcome.DUPLICATE
    assert decide(Stored(), id_seen=True) is Outcome.DUPLICATE
    assert decide(Stored(), key="k1") is Outcome.UNCHANGED
    assert decide(Stored(revision=3), revision=2) is Outcome.UNCHANGED  # older revision
    assert decide(None, deleted=True) is Outcome.UNCHANGED  # nothing to delete
    assert decide(Stored(deleted=True), deleted=True) is Outcome.UNCHANGED


@pytest.mark.parametrize(("stored", "time", "expense"), [
    (Stored(), Outcome.REVISE, Outcome.REVISE),
    (Stored(approval="approved"), Outcome.CHANGED_AFTER_APPROVAL, Outcome.REVISE),
    (Stored(billing="non_billable"), Outcome.REVISE, Outcome.REVISE),
    (Stored(billing="billed"), Outcome.CHANGED_AFTER_APPROVAL,
     Outcome.CHANGED_AFTER_APPROVAL),
    (Stored(billing="on_draft", on_invoice=True), Outcome.CORRECTION,
     Outcome.CHANGED_AFTER_APPROVAL),
])
def test_the_revision_rule_per_kind(stored: Stored, time: Outcome, expense: Outcome) -> None:
    assert decide(stored, rules=TIME) is time
    assert decide(stored, rules=EXPENSE) is expense


def test_deletion_and_refusal_messages() -> None:
    assert decide(Stored(), deleted=True) is Outcome.DELETE
    _, problem = classify("x1", 2, "", True, Stored(approval="approved"), id_seen=False,
                          content_seen=False, rules=TIME, where="f:2")
    assert problem is not None and problem.message == (
        "entry x1 deleted at the source after it was approved/unbilled; approved work is not "
        "rewritten")
    _, problem = classify("x1", 2, "k2", False, Stored(billing="billed"), id_seen=False,
                          content_seen=False, rules=EXPENSE, where="f:2")
    assert problem is not None and problem.message == (
        "expense x1 changed at the source after it was billed; billed expenses are not "
        "rewritten")
