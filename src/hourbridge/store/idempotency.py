"""Write requests by the client's ``Idempotency-Key``: reserved first, then their response.

``reserve`` inserts the key (``in_progress``, a random ``owner`` token) in a transaction of its
own, committed before the request runs, so of N concurrent requests with one key exactly one
runs. ``complete`` keeps its response (``done``); ``release`` deletes the reservation of a
request that failed (it committed nothing), so a retry runs again. A reservation older than
``LEASE`` (its process crashed or hung) is abandoned: the next request takes it over with one
conditional UPDATE, so two takers never both win.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import tables as t

# An in_progress reservation not renewed for this long is abandoned (the API renews the
# reservation of a request still running every third of it).
LEASE = timedelta(seconds=60)
IN_PROGRESS, DONE = "in_progress", "done"
_ATTEMPTS = 5  # a row deleted or taken over between our INSERT and SELECT: look again


@dataclass(frozen=True, slots=True)
class StoredResponse:
    method: str
    path: str
    request_hash: str
    status_code: int
    body: Any


@dataclass(frozen=True, slots=True)
class Reservation:
    """What ``reserve`` found: ``reserved`` (run it; ``owner`` is the token), ``done`` (replay
    ``stored``), ``in_progress`` (another request runs it; retry after ``retry_after`` s) or
    ``mismatch`` (the key belongs to another request)."""

    outcome: Literal["reserved", "done", "in_progress", "mismatch"]
    owner: str | None = None
    stored: StoredResponse | None = None
    retry_after: float = 0.0


class SqlIdempotencyKeys:
    def __init__(self, engine: Engine, clock: Callable[[], datetime],
                 lease: timedelta = LEASE) -> None:
        self.engine = engine
        self.clock = clock
        self.lease = lease

    def lookup(self, key: str) -> StoredResponse | None:
        """The finished response for ``key``, if any."""
        ik = t.idempotency_keys
        with self.engine.connect() as conn:
            row = conn.execute(select(ik.c.method, ik.c.path, ik.c.request_hash,
                                      ik.c.status_code, ik.c.response)
                               .where(ik.c.key == key, ik.c.status == DONE)).first()
        return StoredResponse(*row) if row else None

    def reserve(self, key: str, method: str, path: str, request_hash: str) -> Reservation:
        ik = t.idempotency_keys
        for _ in range(_ATTEMPTS):
            owner = uuid.uuid4().hex
            now = self.clock()
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(ik).values(
                        key=key, method=method, path=path, request_hash=request_hash,
                        status=IN_PROGRESS, owner=owner, reserved_at=now, created_at=now))
                return Reservation("reserved", owner=owner)
            except IntegrityError:
                pass
            with self.engine.connect() as conn:
                row = conn.execute(select(ik).where(ik.c.key == key)).first()
            if row is None:
                continue  # released meanwhile: try to reserve again
            if row.request_hash != request_hash or row.method != method or row.path != path:
                return Reservation("mismatch")
            if row.status == DONE:
                return Reservation("done", stored=StoredResponse(
                    row.method, row.path, row.request_hash, row.status_code, row.response))
            cutoff = now - self.lease
            if row.reserved_at is not None and row.reserved_at >= cutoff:
                left = (row.reserved_at + self.lease - now).total_seconds()
                return Reservation("in_progress", retry_after=max(1.0, min(left, 5.0)))
            with self.engine.begin() as conn:  # abandoned: take it over, atomically
                taken = conn.execute(
                    update(ik).where(ik.c.key == key, ik.c.status == IN_PROGRESS,
                                     ik.c.reserved_at < cutoff)
                    .values(owner=owner, reserved_at=now)).rowcount
            if taken == 1:
                return Reservation("reserved", owner=owner)
        return Reservation("in_progress", retry_after=1.0)

    def renew(self, key: str, owner: str) -> bool:
        """Extend the lease of a reservation still running (False if ``owner`` lost it)."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                 ik.c.status == IN_PROGRESS)
                .values(reserved_at=self.clock())).rowcount
        return bool(renewed == 1)

    def complete(self, key: str, owner: str, status_code: int, body: Any) -> bool:
        """Keep the response of the reservation ``owner`` holds (False if it lost it)."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                 ik.c.status == IN_PROGRESS)
                .values(status=DONE, status_code=status_code, response=body)).rowcount
        return bool(done == 1)

    def release(self, key: str, owner: str) -> None:
        """Forget the reservation ``owner`` holds: the request failed and committed nothing."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(delete(ik).where(ik.c.key == key, ik.c.owner == owner,
                                          ik.c.status == IN_PROGRESS))
