"""``hourbridge audit``: the hash-chained log of financial changes and admin actions."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import console, print_json, session, table

audit_app = typer.Typer(help="The audit log: who changed what, when and why (hash-chained).",
                        no_args_is_help=True)


@audit_app.command("list")
def audit_list(
    object_: Annotated[str | None, typer.Option(
        "--object", help="Only this object (invoices/12); a trailing * matches a prefix "
        "(invoices/*).")] = None,
    after: Annotated[int, typer.Option(help="Records after this sequence number.", min=0)]
    = 0,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Audit records, oldest first: actor, action, object, reason, digests."""
    with session() as hb:
        rows = hb.queries.audit_records(object_=object_, after=after, limit=limit)
        if as_json:
            print_json(rows)
            return
        table("audit log", ["seq", "at", "actor", "action", "object", "reason", "after"],
              [(r["seq"], r["at"][:19], r["actor"], r["action"], r["object"], r["reason"],
                r["after_digest"][:12]) for r in rows], right=["seq"])


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Check every link of the chain; exit 1 naming the first broken one (an edited,
    deleted, inserted or reordered record)."""
    with session() as hb:
        result = hb.queries.verify_audit()
    if as_json:
        print_json(result)
    elif result["ok"]:
        console.print(f"audit chain intact: {result['records']} records, head {result['head']}")
    else:
        broken = result["first_broken"]
        console.print(f"audit chain BROKEN at record {broken['seq']}: {broken['reason']}")
    if not result["ok"]:
        raise typer.Exit(1)
