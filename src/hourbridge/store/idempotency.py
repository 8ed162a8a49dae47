"""Write requests by the client's ``Idempotency-Key``: reserved first, then their response.

``reserve`` inserts the key (``in_progress``, a random ``owner`` token) in a transaction of its
own, committed before the request runs, so of N concurrent requests with one key exactly one
runs. While the request runs, the first transaction it commits also marks the key ``applied``
(``mark_applied``, called by the unit of work inside that transaction; DESIGN §4.1): so the key
records that the request changed something exactly when the change is committed, and a
reservation that was taken over by another process cannot commit at all. ``complete`` keeps the
response (``done``); ``release`` deletes the reservation of a request that committed nothing,
so a retry runs again. A reservation older than ``LEASE`` (its process crashed or hung) is
abandoned: if it committed nothing the next request takes it over with one conditional UPDATE,
so two takers never both win; if it was ``applied`` (the process died after its commit and
before its response was kept) it is never run again, and the retry is told so.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hourbridge.errors import ConcurrentChange

from . import tables as t

# An in_progress reservation not renewed for this long is abandoned (the API renews the
# reservation of a request still running every third of it).
LEASE = timedelta(seconds=60)
IN_PROGRESS, APPLIED, DONE = "in_progress", "applied", "done"
RUNNING = (IN_PROGRESS, APPLIED)
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
    ``mismatch`` (the key belongs to another request) or ``applied`` (it committed, then its
process died before keeping the response: it must not run again)."""

    outcome: Literal["reserved", "done", "in_progress", "applied", "mismatch"]
    owner: str | None = None
    stored: StoredResponse | None = None
    retry_after: float = 0.0


@dataclass(slots=True)
class _Claim:
    """The reservation the current request holds, seen by its units of work."""

    key: str
    owner: str
    marked: bool = False


# Set by the API around the request it runs (``SqlIdempotencyKeys.applying``); contextvars are
# copied into the worker thread that runs a synchronous endpoint, so the unit of work sees it.
_CLAIM: ContextVar[_Claim | None] = ContextVar("hourbridge_idempotency_claim", default=None)


def mark_applied(conn: Connection) -> None:
    """In the transaction about to commit: mark the current request's key ``applied``.

    Only the first commit of a request marks it. If the reservation is no longer ours (the
    lease ran out and another process took the key over) the transaction must not commit:
    ``ConcurrentChange`` rolls it back, so one key never commits two requests' changes."""
    claim = _CLAIM.get()
    if claim is None or claim.marked:
        return
    ik = t.idempotency_keys
    marked = conn.execute(
        update(ik).where(ik.c.key == claim.key, ik.c.owner == claim.owner,
                         ik.c.status.in_(RUNNING))
        .values(status=APPLIED)).rowcount
    if marked != 1:
        raise ConcurrentChange("this request's Idempotency-Key was taken over by a retry")


def committed(conn: Connection) -> None:
    """After the commit that ``mark_applied`` joined: later commits need not mark again."""
    claim = _CLAIM.get()
    if claim is not None:
        claim.marked = True


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
            if row.status == APPLIED and (row.reserved_at is None or row.reserved_at < cutoff):
                return Reservation("applied")  # committed, response lost: never run it again
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

    @contextmanager
    def applying(self, key: str, owner: str) -> Iterator[None]:
        """Run a request holding ``owner``'s reservation: its commits mark the key applied."""
        token = _CLAIM.set(_Claim(key, owner))
        try:
            yield
        finally:
            _CLAIM.reset(token)

    def renew(self, key: str, owner: str) -> bool:
        """Extend the lease of a reservation still running (False if ``owner`` lost it)."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            renewed = conn.execute(
                update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                 ik.c.status.in_(RUNNING))
                .values(reserved_at=self.clock())).rowcount
        return bool(renewed == 1)

    def complete(self, key: str, owner: str, status_code: int, body: Any) -> bool:
        """Keep the response of the reservation ``owner`` holds (False if it lost it)."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                 ik.c.status.in_(RUNNING))
                .values(status=DONE, status_code=status_code, response=body)).rowcount
        return bool(done == 1)

    def settle(self, key: str, owner: str, status_code: int, body: Any | None) -> None:
        """The request has answered: keep what a retry must get again.

        A 2xx JSON response is kept. So is any JSON response of a request that committed
        something (an error after a commit must not run the request a second time). A request
        that committed nothing and failed is forgotten, so a retry runs it again; one that
        committed but answered no JSON stays ``applied`` with its lease ended."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            applied = conn.execute(
                select(ik.c.status).where(ik.c.key == key, ik.c.owner == owner)
            ).scalar() == APPLIED
            if body is not None and (200 <= status_code < 300 or applied):
                conn.execute(update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                              ik.c.status.in_(RUNNING))
                             .values(status=DONE, status_code=status_code, response=body))
            elif applied:
                conn.execute(update(ik).where(ik.c.key == key, ik.c.owner == owner)
                             .values(reserved_at=None))
            else:
                conn.execute(delete(ik).where(ik.c.key == key, ik.c.owner == owner,
                                              ik.c.status == IN_PROGRESS))

    def release(self, key: str, owner: str) -> None:
        """The request raised or was cancelled: forget the reservation if it committed nothing;
        if it committed, end its lease so a retry is told it was applied."""
        ik = t.idempotency_keys
        with self.engine.begin() as conn:
            conn.execute(delete(ik).where(ik.c.key == key, ik.c.owner == owner,
                                          ik.c.status == IN_PROGRESS))
            conn.execute(update(ik).where(ik.c.key == key, ik.c.owner == owner,
                                          ik.c.status == APPLIED).values(reserved_at=None))
