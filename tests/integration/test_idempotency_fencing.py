"""A request whose Idempotency-Key reservation was taken over cannot commit (fencing).

The lease of a reservation can run out while its request still runs (a stalled process). The
retry that takes the key over then runs the request; the stalled one must not also commit,
or the request would be applied twice. ``mark_applied`` runs inside the request's own
transaction and refuses when the key is no longer its own, so the transaction rolls back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hourbridge.bootstrap import Hourbridge
from hourbridge.errors import ConcurrentChange
from hourbridge.store import tables as t


def test_a_taken_over_reservation_cannot_commit(hb: Hourbridge) -> None:
    keys = hb.idempotency
    first = keys.reserve("k1", "POST", "/v1/holds", "h")
    assert first.outcome == "reserved" and first.owner
    keys.lease = timedelta(seconds=-1)  # the first request stalls past its lease (fixed clock)
    second = keys.reserve("k1", "POST", "/v1/holds", "h")
    assert second.outcome == "reserved" and second.owner != first.owner
    keys.lease = timedelta(seconds=60)

    outbox = t.outbox
    with keys.applying("k1", first.owner), hb.uow() as uow:
        before = uow.conn.execute(select(func.count()).select_from(outbox)).scalar()
        with pytest.raises(ConcurrentChange):
            uow.commit()
    with keys.applying("k1", second.owner), hb.uow() as uow:
        uow.commit()  # the request that holds the key commits and marks it
    with hb.engine.connect() as conn:
        row = conn.execute(select(t.idempotency_keys)).one()
        assert (row.status, row.owner) == ("applied", second.owner)
        assert conn.execute(select(func.count()).select_from(outbox)).scalar() == before

    # answered with an error after its commit: the error is kept, never run again
    keys.settle("k1", second.owner, 409, {"code": "x"})
    again = keys.reserve("k1", "POST", "/v1/holds", "h")
    assert again.outcome == "done" and again.stored and again.stored.status_code == 409


def test_an_applied_request_that_lost_its_response_is_not_run_again(hb: Hourbridge) -> None:
    keys = hb.idempotency
    first = keys.reserve("k2", "POST", "/v1/holds", "h")
    assert first.owner
    with keys.applying("k2", first.owner), hb.uow() as uow:
        uow.commit()
    assert keys.reserve("k2", "POST", "/v1/holds", "h").outcome == "in_progress"  # leased
    keys.release("k2", first.owner)  # it raised after the commit: the lease ends at once
    assert keys.reserve("k2", "POST", "/v1/holds", "h").outcome == "applied"
