"""``hourbridge worker`` and ``hourbridge deadletters``: delivering outbox events."""

from __future__ import annotations

from typing import Annotated

import typer

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
            stats = hb.worker.drain()
            if stats.delivered or stats.retried or stats.dead or once:
                console.print(f"delivered {stats.delivered}, retried {stats.retried}, "
                              f"dead {stats.dead}")
            if once:
                return
            time.sleep(interval)


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
