"""``hourbridge holds``: keep work out of billing until a hold is released."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.reasons import HOLD_REASONS
from hourbridge.errors import InvalidInput

from .options import ActorOption, reason_option
from .output import console, print_json, session, table

holds_app = typer.Typer(help="Billing holds on customers, projects, contracts or entries.",
                        no_args_is_help=True)

Reason = Annotated[str, reason_option(HOLD_REASONS, "sets the default owner role")]


@holds_app.command("list")
def holds_list(
    all_holds: Annotated[bool, typer.Option("--all", help="Released holds too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Holds with what they hold, why, and who owns releasing them."""
    with session() as hb:
        rows = hb.queries.holds(active_only=not all_holds)
        if as_json:
            print_json(rows)
            return
        table("holds", ["id", "scope", "ref", "reason", "owner", "placed", "by", "released",
                        "note"],
              [(r["id"], r["scope"], r["ref"], r["reason"], r["owner_role"],
                r["placed_at"][:10], r["placed_by"], (r["released_at"] or "")[:10], r["note"])
               for r in rows])


@holds_app.command("place")
def holds_place(
    reason: Reason,
    customer: Annotated[str | None, typer.Option(help="Hold a customer (and subsidiaries).")]
    = None,
    project: Annotated[str | None, typer.Option(help="Hold a project.")] = None,
    contract: Annotated[str | None, typer.Option(help="Hold a contract.")] = None,
    entry: Annotated[str | None, typer.Option(
        help="Hold one time entry: its id or SOURCE:EXTERNAL_ID.")] = None,
    note: Annotated[str, typer.Option(help="Free text: what it is about.")] = "",
    owner: Annotated[str | None, typer.Option(help="Owner role (default by reason).")] = None,
    actor: ActorOption = "",
) -> None:
    """Place a hold: the work it covers does not bill until it is released."""
    with session() as hb:
        targets = [(s, v) for s, v in (("customer", customer), ("project", project),
                                       ("contract", contract),
                                       ("entry", None if entry is None
                                        else str(hb.queries.entry_ids([entry], "--entry")[0])))
                   if v is not None]
        if len(targets) != 1:
            raise InvalidInput("name exactly one of --customer, --project, --contract, --entry")
        scope, ref = targets[0]
        hold_id = hb.handle(c.PlaceHold(scope, ref, reason, actor, note, owner))
        console.print(f"hold {hold_id} placed on {scope} {ref}")


@holds_app.command("release")
def holds_release(
    hold_id: Annotated[int, typer.Argument(help="The hold's id.")],
    note: Annotated[str, typer.Option(help="Why it is released (kept with the hold).")],
    actor: ActorOption = "",
) -> None:
    """Release a hold: its work bills with the next run."""
    with session() as hb:
        hb.handle(c.ReleaseHold(hold_id, actor, note))
        console.print(f"hold {hold_id} released")
