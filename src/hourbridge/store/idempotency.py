"""Stored responses of write requests, by the client's ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from . import tables as t


@dataclass(frozen=True, slots=True)
class StoredResponse:
    method: str
    path: str
    request_hash: str
    status_code: int
    body: Any


class SqlIdempotencyKeys:
    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def lookup(self, key: str) -> StoredResponse | None:
        ik = t.idempotency_keys
        with self.engine.connect() as conn:
            row = conn.execute(select(ik.c.method, ik.c.path, ik.c.request_hash,
                                      ik.c.status_code, ik.c.response)
                               .where(ik.c.key == key)).first()
        return StoredResponse(*row) if row else None

    def remember(self, key: str, method: str, path: str, request_hash: str, status_code: int,
                 body: Any) -> bool:
        """Keep the first response for ``key``; a concurrent first writer wins."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.idempotency_keys).values(
                    key=key, method=method, path=path, request_hash=request_hash,
                    status_code=status_code, response=body, created_at=self.clock()))
        except IntegrityError:
            return False
        return True
