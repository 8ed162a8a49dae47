"""Concurrent writers on PostgreSQL never fork the audit chain, and a writer killed with
SIGKILL mid-run leaves no change without its record (nor a record without its change).

Every append locks the chain-head row, so writers line up; each record commits in the
transaction of the change it records. ``HOURBRIDGE_FAULT_AUDIT_OPS`` sets how many holds each
writer places and releases (CI: the default).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest
from sqlalchemy import text

from hourbridge.bootstrap import bootstrap
from hourbridge.config import Settings
from hourbridge.domain import commands as c
from hourbridge.formats import BundleDocument, to_domain
from support.fault import figure
from support.firm import small_firm_bundle

OPS = int(os.environ.get("HOURBRIDGE_FAULT_AUDIT_OPS", "15"))
WRITERS = 3
_fork = multiprocessing.get_context("fork")  # a process of its own, without a second import


def _writer(url: str, actor: str, ops: int, done: Any) -> None:
    hb = bootstrap(Settings(database_url=url), upgrade=False)
    for _ in range(ops):
        hold = hb.handle(c.PlaceHold("customer", "ACME", "dispute", actor))
        hb.handle(c.ReleaseHold(hold, actor, "settled"))
        with done.get_lock():
            done.value += 1
    hb.close()


@pytest.mark.postgres
def test_concurrent_writers_and_a_killed_one_keep_one_intact_chain(postgres_url: str) -> None:
    hb = bootstrap(Settings(database_url=postgres_url))
    hb.handle(c.LoadMasterData(to_domain(
        [("firm", BundleDocument.model_validate(small_firm_bundle()))])))
    hb.engine.dispose()  # the children open their own connections

    def start(actor: str, ops: int) -> tuple[Any, Any]:
        done = _fork.Value("i", 0)
        p = _fork.Process(target=_writer, args=(postgres_url, actor, ops, done))
        p.start()
        return p, done

    writers = [start(f"w{n}", OPS) for n in range(WRITERS)]
    victim, victim_done = start("victim", 10 * OPS)  # killed long before it would finish
    deadline = time.monotonic() + 120
    while victim_done.value < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)  # wherever it is: mid-transaction, mid-commit
    victim.join(timeout=60)
    for w, _ in writers:
        w.join(timeout=300)
        assert w.exitcode == 0

    result = hb.queries.verify_audit()
    with hb.engine.connect() as conn:
        placed = dict(conn.execute(text(
            "SELECT placed_by, COUNT(*) FROM holds GROUP BY placed_by")).all())
        released = dict(conn.execute(text(
            "SELECT released_by, COUNT(*) FROM holds WHERE released_by IS NOT NULL "
            "GROUP BY released_by")).all())
        recorded = {(a, act): n for a, act, n in conn.execute(text(
            "SELECT actor, action, COUNT(*) FROM audit_log GROUP BY actor, action"))}
    hb.close()
    unrecorded = sum(abs(n - recorded.get((actor, "hold.place"), 0))
                     for actor, n in placed.items()) + sum(
        abs(n - recorded.get((actor, "hold.release"), 0)) for actor, n in released.items())
    figure(f"audit chain under {WRITERS} concurrent writers x {OPS} holds + 1 killed "
           f"(postgresql): {result['records']} records, verify "
           f"{'passed' if result['ok'] else 'FAILED ' + str(result['first_broken'])}, "
           f"changes without a record or records without a change {unrecorded}")
    assert result["ok"], result
    assert unrecorded == 0 and sum(recorded.values()) == result["records"]
    for n in range(WRITERS):
        assert placed[f"w{n}"] == released[f"w{n}"] == OPS
    assert 3 <= placed["victim"] < 10 * OPS
