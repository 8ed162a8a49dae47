"""``hourbridge inbox``: the payloads kept on arrival, and taking up those a crash left."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .intake import exit_code
from .options import JsonOpt, checked_ids
from .output import console, print_json, session, table

inbox_app = typer.Typer(help="Payloads kept on arrival (time entries, expenses).",
                        no_args_is_help=True)


@inbox_app.command("list")
def inbox_list(
    status: Annotated[str | None, typer.Option(
        help="received (kept, rows not processed: a crash or a running intake), processed "
             "or failed (unreadable as a whole).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Kept payloads with their status, attempts and row counts."""
    with session() as hb:
        rows = hb.queries.payloads(status, limit)
        if as_json:
            print_json(rows)
            return
        table("inbox", ["id", "source", "kind", "file", "received", "status", "attempts",
                        "rows", "accepted", "rejected", "unchanged"],
              [(r["id"], r["source"], r["kind"], r["filename"], r["received_at"], r["status"],
                r["attempts"], r["rows_total"], r["rows_accepted"], r["rows_rejected"],
                r["rows_unchanged"]) for r in rows],
              right=["id", "attempts", "rows", "accepted", "rejected", "unchanged"])


@inbox_app.command("retry")
def inbox_retry(
    ids: Annotated[list[int] | None, typer.Argument(
        help="Inbox ids; none: every payload still received.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Process payloads a crash left `received`, from the kept bytes (safe to run while
    other intakes run: a payload another process is processing is waited for, not doubled).
    Exit codes as `ingest`: 0 all taken, 1 some rows became exceptions, 2 unreadable."""
    with session() as hb:
        reports = hb.recover_intake(checked_ids(ids or (), "inbox id"))
        _print_retried(reports, as_json)
        code = exit_code(reports)  # as ingest: 2 unreadable, 1 rows queued, 0 all taken
        if code:
            raise typer.Exit(code)


def _print_retried(reports: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(reports)
        return
    if not reports:
        console.print("no payload waits for processing")
    for r in reports:
        note = "already processed by another intake" if r["duplicate_payload"] else (
            f"{r['rows']} rows: {r['accepted']} accepted, {r['revised']} revised, "
            f"{r['unchanged']} unchanged, {r['rejected']} rejected")
        console.print(f"inbox {r['inbox_id']} ({r['source']}, {r['kind']}): {note}")
