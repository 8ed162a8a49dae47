"""``hourbridge worker`` and ``hourbridge deadletters``: delivering outbox events."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from hourbridge.bootstrap import Hourbridge
from hourbridge.errors import Retryable

from .options import JsonOpt
from .output import console, print_json, session, table

deadletters_app = typer.Typer(help="Deliveries that failed for good.", no_args_is_help=True)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Drain what is due, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
) -> None:
    """Deliver outbox events (journal postings) to their sinks."""
    import time

    with session() as hb:
        while True:
            _recover_intake(hb)
            stats = hb.worker.drain()
            if stats.delivered or stats.retried or stats.dead or once:
                console.print(f"delivered {stats.delivered}, retried {stats.retried}, "
                              f"dead {stats.dead}")
            if once:
                return
            time.sleep(interval)


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


@deadletters_app.command("list")
def deadletters_list(as_json: JsonOpt = False) -> None:
    """Events that failed for good, with their last error."""
    with session() as hb:
        rows = hb.queries.dead_letters()
        if as_json:
            print_json(rows)
            return
        table("dead letters", ["id", "key", "type", "attempts", "last error"],
              [(r["id"], r["key"], r["type"], r["attempts"], r["last_error"]) for r in rows])
