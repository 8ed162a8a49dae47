"""``hourbridge worker`` and ``hourbridge deadletters``: delivering outbox events.

Workers: any number of ``hourbridge worker`` processes may run on PostgreSQL, each with
``--concurrency`` threads; claims are ``FOR UPDATE SKIP LOCKED`` with a lease the worker
renews while it works through a batch (``pipeline.worker``), so a killed worker's jobs are
rescued once its lease runs out. On SQLite the database has one writer: one thread delivers,
whatever ``--concurrency`` says (and several processes only take turns)."""

from __future__ import annotations

import getpass
import signal
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import DEAD_LETTER_REASONS
from hourbridge.errors import InvalidInput, NotFound, Retryable

from .options import JsonOpt, checked_ids, note_option, reason_option
from .output import console, print_json, session, table
from .schedules import actions

if TYPE_CHECKING:  # the pipeline comes with the session a command opens (start-up, issue 16)
    from hourbridge.bootstrap import Hourbridge
    from hourbridge.pipeline.worker import WorkerStats

deadletters_app = typer.Typer(help="Deliveries that failed for good.", no_args_is_help=True)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    concurrency: Annotated[int, typer.Option(
        min=1, max=64, help="Threads delivering at once (PostgreSQL; SQLite uses one).")] = 1,
    batch: Annotated[int | None, typer.Option(
        min=1, help="Jobs one thread claims at a time (default HOURBRIDGE_WORKER_BATCH; "
                    "20 with --concurrency above 1, so the threads share the work).")]
    = None,
) -> None:
    """Deliver outbox events (journal postings, webhooks, NATS) to their sinks, and run the
    schedules that are due (``hourbridge schedules``). SIGTERM or Ctrl-C: finish the job in
    hand, hand the rest of the claimed batch back, stop."""
    with session() as hb:
        if concurrency > 1 and hb.engine.dialect.name != "postgresql":
            console.print("SQLite has one writer: delivering with one thread")
            concurrency = 1
        stop = hb.worker.stopping
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        # one thread's claim: with several threads, small claims (the rest of a 200-job
        # claim sat leased to one thread while the others found nothing: the bench measured
        # 4 threads posting as fast as 1)
        size = batch or (hb.settings.worker_batch if concurrency == 1
                         else min(hb.settings.worker_batch, THREAD_CLAIM))
        # read once: a wrong schedules file stops the worker at start, in one line
        scheduler = hb.scheduler(actions(hb))
        watch = hb.alert_watch(say=_say)
        while not stop.is_set():
            _recover_intake(hb)
            watch.check()
            for run in scheduler.run_due():
                console.print(f"schedule {run['schedule']} tick {run['tick']}: "
                              f"{run['status']} {run.get('result', run.get('error'))}",
                              highlight=False)
            stats = _deliver(hb, concurrency, size)
            if stats.delivered or stats.retried or stats.dead or once:
                console.print(f"delivered {stats.delivered}, retried {stats.retried}, "
                              f"dead {stats.dead}")
            if once:
                return
            stop.wait(interval)


def _say(line: str) -> None:
    console.print(line, highlight=False, markup=False)


def _deliver(hb: Hourbridge, concurrency: int, batch: int) -> WorkerStats:
    """Drain what is due with ``concurrency`` threads; their stats summed."""
    from hourbridge.pipeline.worker import WorkerStats

    if concurrency == 1:
        return hb.worker.drain(batch=batch)
    results = [WorkerStats() for _ in range(concurrency)]

    def run(n: int) -> None:
        results[n] = hb.worker.drain(batch=batch)

    threads = [threading.Thread(target=run, args=(n,), name=f"worker-{n}")
               for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = WorkerStats()
    for r in results:
        total.add(r)
    return total


# jobs a thread claims at a time when --concurrency > 1 (no --batch): an ERP profile's
# default documents per request, so a claim of ERP documents is one request's worth
THREAD_CLAIM = 20

# a payload still "received" this long after it arrived was left by a crash (a running intake
# holds it locked and is skipped, so a long one is never doubled)
RECOVER_AFTER = timedelta(minutes=5)


def _recover_intake(hb: Hourbridge) -> None:
    try:
        for r in hb.recover_intake(older_than=RECOVER_AFTER, wait=False):
            if not r["duplicate_payload"]:
                console.print(f"inbox {r['inbox_id']}: processed after a crash, {r['rows']} "
                              f"rows ({r['accepted']} accepted, {r['rejected']} rejected)")
    except Retryable as exc:  # the database is busy with an intake: next round
        console.print(f"inbox recovery postponed: {exc}")


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--since: {text!r} is not a date or time (ISO 8601)") from None
    if moment.tzinfo is None:
        raise InvalidInput("--since: give a time zone (2026-12-06T08:00Z or +01:00)")
    return moment


Since = Annotated[str | None, typer.Option(
    "--since", help="Only those that died at or after this ISO 8601 time (with a zone).")]


@deadletters_app.command("list")
def deadletters_list(
    reason: Annotated[str | None, reason_option(DEAD_LETTER_REASONS, "what it died of")]
    = None,
    since: Since = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Events that failed for good, with why and their last error."""
    with session() as hb:
        rows = hb.queries.dead_letters(limit=limit, reason=reason, since=_since(since))
        if as_json:
            print_json(rows)
            return
        table("dead letters", ["id", "key", "type", "reason", "attempts", "died", "last error"],
              [(r["id"], r["key"], r["type"], r["reason"], r["attempts"], r["processed_at"],
                r["last_error"]) for r in rows])


@deadletters_app.command("show")
def deadletters_show(
    letter_id: Annotated[int, typer.Argument(metavar="ID", help="The dead letter's id.")],
    as_json: JsonOpt = False,
) -> None:
    """One dead letter: its event, why it died, and every replay of it."""
    checked_ids([letter_id], "ID")
    with session() as hb:
        row = hb.queries.dead_letter(letter_id)
        if row is None:
            raise NotFound("dead letter", letter_id)
        if as_json:
            print_json(row)
            return
        for name in ("id", "key", "type", "subject", "status", "reason", "attempts",
                     "created_at", "processed_at", "last_error"):
            console.print(f"{name}: {row[name]}")
        for r in row["replays"]:
            console.print(f"replayed {r['replayed_at']} by {r['replayed_by']}: {r['note']} "
                          f"(had died: {r['dead_reason']})")


@deadletters_app.command("replay")
def deadletters_replay(
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID]...",
                                                    help="Dead letters to replay.")] = None,
    reason: Annotated[str | None, reason_option(DEAD_LETTER_REASONS,
                                                "replay those that died of it")] = None,
    since: Since = None,
    note: Annotated[str, note_option("why, kept in the replay audit")] = "",
    by: Annotated[str | None, typer.Option(
        help="Who replays, kept in the audit (default: the login name).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Put dead letters back in the outbox under their original keys (receivers'
    de-duplication still holds); the worker delivers them. Audited: who, when, why."""
    with session() as hb:
        result = hb.handle(c.ReplayDeadLetters(
            checked_ids(ids or [], "ID"), reason, _since(since), by or getpass.getuser(),
            note))
        if as_json:
            print_json(result)
            return
        console.print(f"replayed {len(result['replayed'])} dead letters"
                      + (f"; not dead: {', '.join(map(str, result['not_dead']))}"
                         if result["not_dead"] else ""))


__all__ = ["deadletters_app", "worker"]
