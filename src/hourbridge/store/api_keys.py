"""API keys: each write is one short transaction of its own (they are not part of a
command's unit of work), guarded so that a concurrent second rotation or revocation of the
same key changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.errors import ConcurrentChange
from hourbridge.services.ports.access import KeyRecord

from . import tables as t


def _record(row: Any) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id, secret_hash=row.secret_hash, name=row.name, role=row.role,
        scopes=tuple(row.scopes), entities=tuple(row.entities) if row.entities is not None
        else None, employee=row.employee, rate_limit=row.rate_limit,
        created_at=row.created_at, created_by=row.created_by, expires_at=row.expires_at,
        revoked_at=row.revoked_at, last_used_at=row.last_used_at,
        replaced_by=row.replaced_by)


def _values(record: KeyRecord) -> dict[str, Any]:
    return {"key_id": record.key_id, "secret_hash": record.secret_hash, "name": record.name,
            "role": record.role, "scopes": list(record.scopes),
            "entities": list(record.entities) if record.entities is not None else None,
            "employee": record.employee, "rate_limit": record.rate_limit,
            "created_at": record.created_at, "created_by": record.created_by,
            "expires_at": record.expires_at}


class SqlApiKeys:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, record: KeyRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(t.api_keys).values(**_values(record)))

    def get(self, key_id: str) -> KeyRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        return _record(row) if row is not None else None

    def all(self) -> list[KeyRecord]:
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(
                select(t.api_keys).order_by(t.api_keys.c.created_at, t.api_keys.c.key_id))]

    def replace(self, key_id: str, new: KeyRecord, old_expires_at: datetime) -> bool:
        k = t.api_keys
        with self.engine.begin() as conn:
            # the guard makes two rotations of one key race to one winner: the loser's
            # update matches no row and its new key is rolled back with it
            done = conn.execute(update(k).where(
                k.c.key_id == key_id, k.c.revoked_at.is_(None), k.c.replaced_by.is_(None))
                .values(expires_at=old_expires_at, replaced_by=new.key_id))
            if done.rowcount != 1:
                conn.rollback()
                return False
            conn.execute(insert(k).values(**_values(new)))
        return True

    def revoke(self, key_id: str, at: datetime) -> bool:
        k = t.api_keys
        with self.engine.begin() as conn:
            done = conn.execute(update(k).where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                                .values(revoked_at=at))
        return done.rowcount == 1

    def set_four_eyes(self, entity: str, on: bool) -> None:
        p = t.entity_policies
        try:
            with self.engine.begin() as conn:
                done = conn.execute(update(p).where(p.c.entity == entity)
                                    .values(four_eyes_issue=on))
                if done.rowcount == 0:
                    conn.execute(insert(p).values(entity=entity, four_eyes_issue=on))
        except IntegrityError as exc:  # a concurrent first setting of the same entity won
            raise ConcurrentChange("the policy was set concurrently; run it again") from exc

    def four_eyes(self) -> dict[str, bool]:
        p = t.entity_policies
        with self.engine.connect() as conn:
            return {r.entity: bool(r.four_eyes_issue) for r in conn.execute(select(p))}

    def touch(self, key_id: str, at: datetime) -> None:
        k = t.api_keys
        with self.engine.begin() as conn:
            conn.execute(update(k).where(k.c.key_id == key_id).values(last_used_at=at))
