"""API keys as the access service needs them (``store.api_keys`` implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    secret_hash: str
    name: str
    role: str
    scopes: tuple[str, ...]
    entities: tuple[str, ...] | None
    employee: str | None
    rate_limit: int | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    replaced_by: str | None = None

    def active(self, at: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or at < self.expires_at)

    def as_dict(self) -> dict[str, object]:
        """What lists show: everything but the secret's hash."""
        return {"key_id": self.key_id, "name": self.name, "role": self.role,
                "scopes": list(self.scopes),
                "entities": list(self.entities) if self.entities is not None else None,
                "employee": self.employee, "rate_limit": self.rate_limit,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
                "replaced_by": self.replaced_by}


class ApiKeys(Protocol):
    def add(self, record: KeyRecord) -> None: ...

    def get(self, key_id: str) -> KeyRecord | None: ...

    def all(self) -> list[KeyRecord]: ...

    def replace(self, key_id: str, new: KeyRecord, old_expires_at: datetime) -> bool:
        """Store ``new`` and let ``key_id`` expire at ``old_expires_at``, in one transaction,
        only if ``key_id`` is live and not replaced yet (False: nothing written)."""
        ...

    def revoke(self, key_id: str, at: datetime) -> bool: ...

    def touch(self, key_id: str, at: datetime) -> None: ...

    def set_four_eyes(self, entity: str, on: bool) -> None: ...

    def four_eyes(self) -> dict[str, bool]: ...
