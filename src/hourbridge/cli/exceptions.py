"""``hourbridge exceptions``: the queue of rows that could not be taken."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import EXCEPTION_REASONS

from .options import ActorOption, JsonOpt, reason_option
from .output import console, print_json, session, table

exceptions_app = typer.Typer(help="The exception queue: rows that could not be taken.",
                             no_args_is_help=True)


@exceptions_app.command("list")
def exceptions_list(
    status: Annotated[str, typer.Option(help="open, resolved, dismissed or all")] = "open",
    reason: Annotated[str | None, reason_option(EXCEPTION_REASONS, "filter")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner role.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Rows that could not be taken, with reason and owner role."""
    with session() as hb:
        q = hb.queries
        st = None if status == "all" else status
        rows = q.exceptions(status=st, reason=reason, owner=owner, limit=limit)
        if as_json:
            print_json({"by_reason": q.exceptions_by_reason(st), "items": rows})
            return
        table("exceptions by reason", ["reason", "count"],
              list(q.exceptions_by_reason(st).items()), right=["count"])
        table("exceptions", ["id", "status", "reason", "owner", "where", "message"],
              [(r["id"], r["status"], r["reason"], r["owner_role"], r["location"],
                r["message"]) for r in rows])


@exceptions_app.command("retry")
def exceptions_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Ids (default: every open one).")] = None,
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Validate the kept rows again (after master data was fixed). What is still refused
    shows (and keeps) the reason found now. Exit 0: all resolved; 1: some still open."""
    with session() as hb:
        report = hb.handle(c.RetryExceptions(tuple(ids or ()), actor))
        out = report.as_dict()
        if as_json:
            print_json(out)
        else:
            console.print(f"retried {report.retried}: {len(report.resolved)} resolved, "
                          f"{len(report.still_open)} still open")
            if out["reasons"]:
                console.print("still open by reason: " + ", ".join(
                    f"{code} {n}" for code, n in out["reasons"].items()))
            for exc_id, change in out["reason_changed"].items():
                console.print(f"  exception {exc_id}: now {change['now']} "
                              f"(was {change['was']})")
        if report.still_open:
            raise typer.Exit(1)


@exceptions_app.command("dismiss")
def exceptions_dismiss(
    ids: Annotated[list[int], typer.Argument(help="Exception ids.")],
    note: Annotated[str, typer.Option(help="Why (kept with the record).")],
    actor: ActorOption = "",
) -> None:
    """Close exceptions without taking the rows, with a note."""
    with session() as hb:
        n = hb.handle(c.DismissExceptions(tuple(ids), actor, note))
        console.print(f"dismissed {n}")
