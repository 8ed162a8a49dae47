"""One exception tree for the whole product.

Bad *data* is a value (``domain.problems.Problem``); exceptions are for failures. Every
exception says whether retrying can help: ``Retryable`` drives backoff, ``Permanent`` sends a
job to the dead letters at once.
"""

from __future__ import annotations

from typing import Any


class HourbridgeError(Exception):
    """Root of every error Hourbridge raises on purpose."""

    code = "error"


class Retryable(HourbridgeError):
    """Marker: the same call may succeed later (timeouts, locks, 429/503)."""

    code = "retryable"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(HourbridgeError):
    """Marker: retrying the same input cannot succeed."""

    code = "permanent"


class UnreadablePayload(Permanent):
    """A payload that cannot be read as a whole as the format it claims. ``problem`` is the
    ``domain.problems.Problem`` saying why (typed loosely: errors sit below the domain)."""

    code = "unreadable_payload"

    def __init__(self, problem: Any) -> None:
        super().__init__(str(problem))
        self.problem = problem


class NotFound(Permanent):
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class InvalidInput(Permanent):
    """Input refused as a whole; ``problems`` lists every reason with its location."""

    code = "invalid_input"

    def __init__(self, message: str, problems: list[object] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class Conflict(Permanent):
    """The request contradicts current state (issuing an issued invoice, a locked period).

    ``reason`` names the conflict for programs (``invoice_credited``, ``period_closed``...);
    without it the code stays the generic ``conflict``."""

    code = "conflict"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason:
            self.code = reason


class UnbalancedJournal(Permanent):
    """A journal entry whose debits and credits differ in some currency: always our bug."""

    code = "unbalanced_journal"


class ConcurrentChange(Retryable):
    """Another writer changed what this transaction read (a billing run and a credit on the
    same entry, two intakes of one external id); everything was rolled back, so running the
    same command again is safe and sees the other writer's result."""

    code = "concurrent_change"


class SetupRefused(Permanent):
    """The database cannot be used as configured: a bad URL, a server that does not answer,
    refused credentials, a schema to upgrade first. One line, no secret in it."""

    code = "setup"


class SignatureRefused(Permanent):
    """A webhook delivery whose signature is missing, wrong or outside the replay window: it
    did not come from the tracker (or is a stale copy), so nothing of it is kept. 401 on the
    API."""

    code = "webhook_signature_invalid"


class WebhookReplayed(SignatureRefused):
    """A correctly signed delivery sent outside the tracker's replay window: a captured copy,
    not the tracker speaking now. 401 like a bad signature."""

    code = "webhook_replayed"


class WebhookMalformed(InvalidInput):
    """A correctly signed webhook delivery whose body its tracker's format cannot read: kept
    in quarantine, never processed. 422 on the API."""

    code = "webhook_malformed"


class SubscriptionGone(Permanent):
    """A webhook receiver answered 410 Gone (Standard Webhooks: stop sending), or the
    subscription was disabled or removed before its delivery ran."""

    code = "subscription_disabled"


class SegregationRefused(Permanent):
    """Segregation of duties: the same person may not do both steps (issue an invoice their
    own billing run drafted, where the entity's policy says so). 403 on the API."""

    code = "segregation_of_duties"
