"""An issuer killed with SIGKILL midway (issue 16, item 3): a call issues all its drafts in one
transaction of bulk statements (numbers, headers, WIP relief, entry state, outbox rows), so a
kill leaves all of it or none of it, and the next issue numbers 1..N with no gap.

On PostgreSQL the kill is placed: the test holds the outbox table, so the issuer waits at its
last write, after numbers, headers and entries were written, and is killed there. On SQLite
(one writer, nothing to hold it at) the issuer is killed at a spread of moments instead.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from support.fault import Firm, Query, figure, time_file

ENTRIES = 600


def _state(sql: Query) -> tuple[int, int, int, int, int]:
    """(issued invoices, the entity's counter, journal postings, relieved entries, invoiced
    entries): all zero before an issue is committed, all there after."""
    return (sql("SELECT COUNT(*) FROM invoices WHERE status = 'issued'")[0][0],
            sql("SELECT last_invoice_number FROM entities WHERE code = 'DE'")[0][0],
            sql("SELECT COUNT(*) FROM outbox WHERE key LIKE 'invoice-issued:%'")[0][0],
            sql("SELECT COUNT(*) FROM time_entries WHERE relieved_seconds > 0")[0][0],
            sql("SELECT COUNT(*) FROM time_entries WHERE billing = 'invoiced'")[0][0])


def _kill_waiting_at_outbox(firm: Firm) -> None:
    """PostgreSQL: start an issuer while this test holds the outbox, kill it once it waits
    to insert its journal postings, and let its server session end."""
    import psycopg

    url = firm.url.replace("postgresql+psycopg://", "postgresql://")
    # the activity is read outside the holder's transaction: inside one it is a snapshot
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as watch:
        holder.execute("LOCK TABLE outbox IN EXCLUSIVE MODE")  # reads pass, inserts wait
        issuer = firm.start("invoices", "issue", "--all", "--json")
        deadline, waiting = time.monotonic() + 120, None
        while waiting is None and time.monotonic() < deadline and issuer.poll() is None:
            waiting = watch.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query ILIKE 'INSERT INTO outbox%'").fetchone()
            time.sleep(0.05)
        if waiting is None:
            issuer.kill()
            out, err = issuer.communicate(timeout=30)
            raise AssertionError(f"the issuer never reached its outbox insert: exit "
                                 f"{issuer.returncode}: {out[-500:]} {err[-1500:]}")
        os.kill(issuer.pid, signal.SIGKILL)
        issuer.communicate(timeout=30)
        holder.rollback()  # the orphaned session goes on, finds its client gone, rolls back
        while watch.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                            (waiting[0],)).fetchone() and time.monotonic() < deadline:
            time.sleep(0.05)


def test_an_issuer_killed_midway_leaves_all_or_nothing(
        firm: Firm, sql: Query, tmp_path: Path) -> None:
    firm.cli("ingest", "--source", "tracker", str(time_file(tmp_path / "t.csv", range(ENTRIES))))
    firm.cli("approve", "--project", "P1")
    firm.cli("bill", "--through", "2026-11-30")
    drafts = sql("SELECT COUNT(*) FROM invoices WHERE status = 'draft'")[0][0]
    assert drafts > 1
    seen: list[tuple[int, ...]] = []
    if firm.url.startswith("postgresql"):
        _kill_waiting_at_outbox(firm)
        seen.append(_state(sql))
        assert seen[-1] == (0, 0, 0, 0, 0)  # numbers, headers and entries rolled back
    else:
        for delay in (0.2, 0.5, 0.8, 1.1, 1.4, 1.8):
            issuer = firm.start("invoices", "issue", "--all", "--json")
            time.sleep(delay)
            if issuer.poll() is None:
                os.kill(issuer.pid, signal.SIGKILL)
            issuer.communicate(timeout=60)
            seen.append(_state(sql))
            if seen[-1][0]:
                break  # it finished before the kill: all of it committed
    for issued, counter, postings, relieved, invoiced in seen:
        assert (issued, counter, postings) in ((0, 0, 0), (drafts, drafts, drafts))
        assert (relieved == 0) == (invoiced == 0) == (issued == 0)
    done: Any = firm.cli("invoices", "issue", "--all", "--json", check=False)
    assert done.returncode == 0, done.stderr
    sequences = [s for (s,) in sql("SELECT sequence FROM invoices ORDER BY sequence")]
    postings = sql("SELECT subject, COUNT(*) FROM outbox WHERE key LIKE 'invoice-issued:%' "
                   "GROUP BY subject")
    over = sql("SELECT COUNT(*) FROM time_entries WHERE relieved_seconds > billable_seconds")
    figure(f"issuer killed midway ({firm.url.split(':')[0]}, {drafts} drafts): states after "
           f"each kill {seen}; then numbers {sequences[:1]}..{sequences[-1:]}")
    assert sequences == list(range(1, drafts + 1))  # gapless, none twice
    assert len(postings) == drafts and all(n == 1 for _, n in postings)
    assert over[0][0] == 0
    firm.cli("invoices", "check-sequence")
