"""Who may do what: scopes, the roles that bundle them, API key texts and principals.

A client system holds one API key ``hbk_<key id>_<secret>``: the key id names the stored
record (it is shown in lists and logs), the secret is 32 random bytes shown once and kept
only as its SHA-256 (a high-entropy secret needs no slow hash). A bearer JWT from the
configured OAuth2 issuer is the other credential; both become a ``Principal``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

KEY_PREFIX: Final = "hbk_"
_KEY = re.compile(r"^hbk_([a-z0-9]{8,32})_([A-Za-z0-9_-]{20,100})$")

ADMIN: Final = "admin"
# every scope an endpoint can need; ``admin`` holds them all
SCOPES: Final[dict[str, str]] = {
    "masterdata:read": "read entities, customers, projects, contracts and rate cards",
    "masterdata:write": "load master data and FX rates",
    "people:read": "employees' personal fields and cost rates",
    "time:read": "read time entries, expenses and intake payloads",
    "time:write": "send time entries and expenses (intake, tracker payloads, webhooks)",
    "time:approve": "approve and reject time and expenses",
    "billing:run": "run billing, place holds, adjust, correct and charge between entities",
    "invoices:read": "read invoices, credit notes and their documents",
    "invoices:issue": "issue, void and credit invoices",
    "ledger:read": "read the journal and the trial balance",
    "exceptions:read": "read the exception queue",
    "exceptions:write": "retry and dismiss exceptions",
    "delivery:read": "read the outbox, dead letters and traces",
    "delivery:write": "replay dead letters and manage webhook subscriptions",
    "audit:read": "read the audit log",
    "metrics:read": "read the Prometheus metrics",
    "kpis:read": "read KPIs, reconciliation and alerts (and the dashboard's pages)",
    ADMIN: "everything, including API keys",
}
_READS: Final = frozenset(s for s in SCOPES if s.endswith(":read") and s != "people:read")
ROLES: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset({ADMIN}),
    "finance": frozenset({
        "masterdata:read", "masterdata:write", "people:read", "time:read", "billing:run",
        "invoices:read", "invoices:issue", "ledger:read", "exceptions:read",
        "exceptions:write", "delivery:read", "delivery:write", "kpis:read"}),
    "approver": frozenset({"masterdata:read", "time:read", "time:approve",
                           "exceptions:read"}),
    "integration": frozenset({"masterdata:read", "masterdata:write", "time:read",
                              "time:write", "invoices:read", "ledger:read", "exceptions:read",
                              "exceptions:write", "delivery:read"}),
    "auditor": _READS,
}


# data minimization (issue 14 item 3): who reads a classified field (domain.classification)
# in a response. Pay only with `people:read`; a person's own words (an entry's notes) also
# to whoever approves the time. Everyone else gets null in its place.
REVEALED_BY: Final[dict[str, frozenset[str]]] = {
    "pay": frozenset({"people:read"}),
    "personal": frozenset({"people:read", "time:approve"}),
}


def key_text(key_id: str, secret: str) -> str:
    return f"{KEY_PREFIX}{key_id}_{secret}"


def parse_key(text: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of an API key text, or None when it is not one."""
    match = _KEY.match(text)
    return (match.group(1), match.group(2)) if match else None


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Constant time: how much of a guess was right does not show in the answer's timing."""
    return hmac.compare_digest(secret_hash(secret), stored_hash)


def unknown_scopes(scopes: frozenset[str] | set[str] | tuple[str, ...]) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as. ``entities`` None: every legal entity; ``employee``: the
    employee this principal is (segregation of duties: nobody approves their own time)."""

    name: str
    kind: str  # "key", "jwt" or "session" (a dashboard login with a key)
    scopes: frozenset[str]
    key_id: str | None = None
    role: str | None = None
    entities: frozenset[str] | None = None
    employee: str | None = None
    rate_limit: int | None = None  # requests per minute; None: the server's default

    @property
    def actor(self) -> str:
        """The name kept on what this principal changes."""
        return f"key:{self.key_id} ({self.name})" if self.key_id else f"{self.kind}:{self.name}"

    def allows(self, scope: str) -> bool:
        return ADMIN in self.scopes or scope in self.scopes

    def reads(self, classification: str) -> bool:
        """Whether responses show this principal fields of ``classification``."""
        return any(self.allows(scope) for scope in REVEALED_BY[classification])

    def sees(self, entity: str | None) -> bool:
        """Whether this principal may know ``entity``'s objects exist (None: no entity)."""
        return self.entities is None or entity in self.entities
