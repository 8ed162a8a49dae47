"""What intake does with one incoming row against what is stored: the revision rule, in one
place, for every kind of row (time, expenses, and the connector kinds to come).

A row whose source id appears twice in one batch is ``duplicate_entry``. A deletion of what
is not (or no longer) stored is unchanged. A row whose id is stored is unchanged (same
content, or an older revision), a correction proposal (the stored row is on an invoice and the
kind corrects), ``changed_after_approval`` (not revisable: billed, written off, or approved
when the kind keeps approvals final), a deletion, or a revision. A new id with the content of
a row already taken is ``duplicate_entry``; anything else is new.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from .problems import Problem

# billing states a stored row may still be revised in; billed or written off is final
REVISABLE_BILLING = frozenset({"unbilled", "non_billable"})


class Outcome(enum.Enum):
    NEW = "new"
    UNCHANGED = "unchanged"
    REVISE = "revise"
    DELETE = "delete"
    CORRECTION = "correction"  # on an invoice: a proposal, never a silent rewrite
    DUPLICATE = "duplicate"  # refused: same id twice in a batch, or same content as another
    CHANGED_AFTER_APPROVAL = "changed_after_approval"  # refused: approved or billed work


class StoredState(Protocol):
    """What intake knows of a stored row (``services.ports.entries.StoredEntry``)."""

    @property
    def revision(self) -> int: ...
    @property
    def content_key(self) -> str: ...
    @property
    def approval(self) -> str: ...
    @property
    def billing(self) -> str: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def on_invoice(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class IntakeRules:
    """How one kind of row is revised, and how its refusals read."""

    noun: str  # "entry", "expense": the refusal names the row by it
    approval_is_final: bool  # an approved row is no longer revised (time), or goes back (expenses)
    corrects: bool  # a change of a row on an invoice becomes a correction proposal
    same_content: str  # what a duplicate of content shares, for its message
    final_state: str  # "{approval}/{billing}" or "{billing}": the state a refusal names
    final_note: str  # why a refused row is not rewritten

    def revisable(self, stored: StoredState) -> bool:
        """May a new revision replace ``stored``? The one revision rule of every kind."""
        if self.approval_is_final and stored.approval == "approved":
            return False
        return stored.billing in REVISABLE_BILLING


Classified = tuple[Outcome, Problem | None]
_UNCHANGED: Classified = (Outcome.UNCHANGED, None)


def classify(external_id: str, revision: int, content_key: str, deleted: bool,
             stored: StoredState | None, *, id_seen: bool, content_seen: bool,
             rules: IntakeRules, where: str) -> Classified:
    """One candidate row against its stored row (``None``: its id is not stored).

    ``id_seen``: its id came earlier in the same batch; ``content_seen``: its content key is
    stored or came earlier in the batch. The Problem is set exactly when the row is refused.
    """
    if id_seen:
        return Outcome.DUPLICATE, Problem(
            "duplicate_entry", f"external_id {external_id} appears twice in one batch", where,
            "external_id")
    if deleted and (stored is None or stored.deleted):
        return _UNCHANGED  # nothing (left) to delete
    if stored is not None:
        if stored.content_key == content_key or revision < stored.revision:
            return _UNCHANGED
        if rules.corrects and stored.on_invoice:
            return Outcome.CORRECTION, None
        if not rules.revisable(stored):
            state = rules.final_state.format(approval=stored.approval, billing=stored.billing)
            return Outcome.CHANGED_AFTER_APPROVAL, Problem(
                "changed_after_approval",
                f"{rules.noun} {external_id} {'deleted' if deleted else 'changed'} at the "
                f"source after it was {state}; {rules.final_note}", where, "external_id")
        return (Outcome.DELETE if deleted else Outcome.REVISE), None
    if content_seen:
        return Outcome.DUPLICATE, Problem("duplicate_entry", f"same {rules.same_content} already "
                                          "taken", where, "external_id")
    return Outcome.NEW, None


def held_elsewhere(external_id: str, rules: IntakeRules, where: str) -> Problem:
    """A row whose source id a row of an entity the sender may not post to holds: refused,
    not a revision of it. Only that the id is taken shows (it cannot be stored twice under
    one source); nothing of the row holding it (state, content, entity)."""
    return Problem("duplicate_key", f"{rules.noun} {external_id}: this source id is taken; "
                   "send the row under its own source", where, "external_id")

