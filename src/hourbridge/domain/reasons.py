"""Reason codes a person gives for an action, one listed set per action, and how a code and a
free-text note are kept together.

One name per concept (docs/GLOSSARY.md): a **reason** is always a code from the action's set
(reports group and count by it), a **note** is always free text (people read it). Exception
reason codes, what intake and validation give a refused row, are in ``problems``.
"""

from __future__ import annotations

from typing import Final

from .holds import HOLD_OWNERS
from .problems import REASON_OWNERS, UNBILLED_REASONS

REJECTION_REASONS: Final = ("wrong_project", "wrong_task", "wrong_date", "wrong_hours",
                            "not_billable", "duplicate", "missing_notes", "other")
ADJUSTMENT_REASONS: Final = ("inefficiency", "training", "rework", "goodwill",
                             "customer_agreement", "rounding", "other")
VOID_REASONS: Final = ("wrong_customer", "wrong_amount", "wrong_period", "duplicate",
                       "issued_in_error", "other")
CREDIT_REASONS: Final = ("dispute", "wrong_rate", "wrong_hours", "billing_error", "goodwill",
                         "cancelled_work", "other")
HOLD_REASONS: Final = tuple(HOLD_OWNERS)
# why an outbox delivery became a dead letter (set by the worker, filtered on in replay): the
# sink refused it for good, it failed every attempt, nothing handles its type, or its webhook
# subscription was disabled (the receiver answered 410 Gone) or removed
DEAD_LETTER_REASONS: Final = ("refused", "attempts_exhausted", "no_handler",
                              "subscription_disabled")
# what an exception (a row not taken) can be filed under; the "already ..." skip codes of
# approval never become exceptions, nor do the codes the trace explains unbilled work with
EXCEPTION_REASONS: Final = tuple(code for code in REASON_OWNERS
                                 if " " not in code and code not in UNBILLED_REASONS)

# the code an old free-text reason is kept under while such text is still accepted
LEGACY_REASON: Final = "other"


def reason_text(code: str, note: str = "") -> str:
    """What is kept where one text field holds the reason: the code, then the note."""
    note = note.strip()
    return f"{code}: {note}" if note else code
