"""``hourbridge revenue``: recognise revenue on fees, and each contract's schedule."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c

from .options import ActorOption
from .output import console, print_json, session, table

revenue_app = typer.Typer(help="Revenue recognition: fixed fees, milestones, retainers.",
                          no_args_is_help=True)


@revenue_app.command("run")
def revenue_run(
    period: Annotated[str, typer.Option(help="The month to recognise through (YYYY-MM).")],
    entity: Annotated[str | None, typer.Option(help="Only this legal entity.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show, post nothing.")] = False,
    actor: ActorOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Book recognised, and report deferred and unbilled, revenue per contract through the
    end of PERIOD, billed being what was invoiced by that day (time and materials is revenue
    on approval and is not booked here)."""
    with session() as hb:
        out = hb.handle(c.RunRevenue(period, actor, entity, dry_run)).as_dict()
        if as_json:
            print_json(out)
            return
        table(f"revenue through {period}" + (" (dry run)" if dry_run else ""),
              ["contract", "cur", "component", "basis", "this run", "to date", "billed",
               "deferred", "unbilled"],
              [(r["contract"], r["currency"], r["component"].replace("_", " "), r["basis"],
                r["recognised_this_run"], r["recognised_to_date"], r["billed_to_date"],
                r["deferred"], r["unbilled"]) for r in out["contracts"]],
              right=["this run", "to date", "billed", "deferred", "unbilled"])
        for cur, t in out["totals"].items():
            console.print(f"{cur}: recognised {t['recognised_this_run']} this run, "
                          f"{t['recognised_to_date']} to date; deferred {t['deferred']}, "
                          f"unbilled {t['unbilled']}")
        console.print(f"billed: invoiced (issued, less credit notes) by {out['billed_as_of']}")
        console.print(f"{len(out['journal_keys'])} journal entries"
                      + (" would be" if dry_run else "") + " posted")


@revenue_app.command("schedule")
def revenue_schedule(
    contract: Annotated[str, typer.Argument(help="Contract id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What each run recognised for a contract, period by period."""
    with session() as hb:
        rows = hb.handle(c.ShowRevenueSchedule(contract))
        if as_json:
            print_json(rows)
            return
        table(f"revenue schedule of {contract}", ["period", "component", "to date", "change",
                                                  "basis", "posted on"],
              [(r["period"], r["component"], r["recognised"], r["delta"], r["basis"],
                r["posted_on"]) for r in rows], right=["to date", "change"])
