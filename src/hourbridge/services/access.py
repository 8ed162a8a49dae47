"""API keys of client systems: create (the key text is shown once), rotate with an overlap,
revoke, list; and authenticate a key text to a ``Principal``.

Writes go straight to the ``ApiKeys`` port (one short transaction each): a key is not part
of any business command's unit of work.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from hourbridge.domain import limits
from hourbridge.domain.access import (
    ROLES,
    Principal,
    key_text,
    parse_key,
    secret_hash,
    secret_matches,
    unknown_scopes,
)
from hourbridge.errors import Conflict, InvalidInput, NotFound

from .ports.access import ApiKeys, KeyRecord

# last use is written at most this often per key: a busy client costs no write per request
TOUCH_EVERY = timedelta(seconds=60)
MAX_OVERLAP = timedelta(days=90)


def _new_key_id() -> str:
    return secrets.token_hex(6)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


class AccessKeys:
    def __init__(self, keys: ApiKeys, clock: Callable[[], datetime],
                 key_id: Callable[[], str] = _new_key_id,
                 secret: Callable[[], str] = _new_secret) -> None:
        self.keys = keys
        self.clock = clock
        self._key_id = key_id
        self._secret = secret

    def create(self, name: str, role: str, actor: str, *, scopes: Iterable[str] = (),
               entities: Iterable[str] | None = None, employee: str | None = None,
               rate_limit: int | None = None,
               expires_at: datetime | None = None) -> tuple[KeyRecord, str]:
        """A new key for client system ``name``: its record and its text (shown once)."""
        name = name.strip()
        if not name or len(name) > 200 or limits.control_error(name, free_text=False):
            raise InvalidInput("give the client system's name (1 to 200 characters)")
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        extra = tuple(sorted(set(scopes)))
        if unknown := unknown_scopes(extra):
            raise InvalidInput(f"unknown scope {unknown[0]!r}: see `hourbridge keys scopes`")
        if rate_limit is not None and not 0 <= rate_limit <= 1_000_000:
            raise InvalidInput("rate limit: 0 (none) to 1000000 requests a minute")
        codes = None if entities is None else tuple(sorted(set(entities)))
        if codes is not None and not codes:
            raise InvalidInput("a key limited to entities needs at least one entity")
        now = self.clock()
        record = KeyRecord(self._key_id(), "", name, role,
                           tuple(sorted(ROLES[role] | set(extra))), codes, employee or None,
                           rate_limit, now, actor, expires_at)
        return self._store(record, lambda r: self.keys.add(r))

    def rotate(self, key_id: str, actor: str,
               overlap: timedelta = timedelta(hours=24)) -> tuple[KeyRecord, str]:
        """A new key with the same grants; the old one keeps working for ``overlap``."""
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise InvalidInput("overlap: 0 to 90 days")
        old = self.keys.get(key_id)
        now = self.clock()
        if old is None:
            raise NotFound("api key", key_id)
        if not old.active(now) or old.replaced_by is not None:
            raise Conflict(f"api key {key_id} is revoked, expired or already rotated",
                           "key_not_rotatable")
        record = KeyRecord(self._key_id(), "", old.name, old.role, old.scopes, old.entities,
                           old.employee, old.rate_limit, now, actor)
        expires = min(now + overlap, old.expires_at or now + overlap)

        def replace(r: KeyRecord) -> None:
            if not self.keys.replace(key_id, r, expires):
                raise Conflict(f"api key {key_id} was rotated or revoked meanwhile",
                               "key_not_rotatable")

        return self._store(record, replace)

    def revoke(self, key_id: str) -> KeyRecord:
        if self.keys.get(key_id) is None:
            raise NotFound("api key", key_id)
        if not self.keys.revoke(key_id, self.clock()):
            raise Conflict(f"api key {key_id} is already revoked", "key_revoked")
        record = self.keys.get(key_id)
        assert record is not None
        return record

    def list(self) -> list[KeyRecord]:
        return self.keys.all()

    def any_active(self) -> bool:
        now = self.clock()
        return any(k.active(now) for k in self.keys.all())

    def set_four_eyes(self, entity: str, on: bool, known: Iterable[str]) -> None:
        """Whether ``entity``'s invoices must be issued by someone other than who ran the
        billing that drafted them (``known``: the entity codes there are)."""
        if entity not in set(known):
            raise InvalidInput(f"unknown entity {entity!r}")
        self.keys.set_four_eyes(entity, on)

    def four_eyes(self) -> dict[str, bool]:
        return self.keys.four_eyes()

    def authenticate(self, text: str) -> Principal | None:
        """The principal of a live key, or None (unknown, wrong, revoked or expired: the
        caller learns nothing about which)."""
        parsed = parse_key(text)
        if parsed is None:
            return None
        key_id, secret = parsed
        record = self.keys.get(key_id)
        # compare even for an unknown id, so a good id does not answer faster than a bad one
        ok = secret_matches(secret, record.secret_hash if record else "0" * 64)
        now = self.clock()
        if record is None or not ok or not record.active(now):
            return None
        if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY:
            self.keys.touch(key_id, now)
        return principal_of(record)

    def session_principal(self, key_id: str) -> Principal | None:
        """The principal of a dashboard session made with key ``key_id``, while it is live."""
        record = self.keys.get(key_id)
        if record is None or not record.active(self.clock()):
            return None
        return principal_of(record, kind="session")

    def _store(self, record: KeyRecord,
               write: Callable[[KeyRecord], None]) -> tuple[KeyRecord, str]:
        secret = self._secret()
        stored = dataclasses.replace(record, secret_hash=secret_hash(secret))
        write(stored)
        return stored, key_text(stored.key_id, secret)


def principal_of(record: KeyRecord, kind: str = "key") -> Principal:
    return Principal(name=record.name, kind=kind, scopes=frozenset(record.scopes),
                     key_id=record.key_id, role=record.role,
                     entities=frozenset(record.entities) if record.entities is not None
                     else None, employee=record.employee, rate_limit=record.rate_limit)
