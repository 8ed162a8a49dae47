"""``hourbridge contracts``: a contract's components, and milestones reported achieved."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput

from .options import ActorOption, deprecated_option, renamed
from .output import console, print_json, session, shown, table

contracts_app = typer.Typer(help="Contract components: fees, milestones, retainer, cap.",
                            no_args_is_help=True)


@contracts_app.command("show")
def contracts_show(
    contract: Annotated[str, typer.Argument(help="Contract id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Fee installments and milestones (billed or not), retainer months settled, cap usage."""
    with session() as hb:
        k = shown(hb.handle(c.ShowContract(contract)))
        if as_json:
            print_json(k)
            return
        console.print(f"[bold]{k['id']}[/] {k['customer']} ({k['entity']}, {k['currency']}) "
                      f"{k['start_date']} – {k['end_date'] or 'open'}")
        table("versions", ["version", "from", "billing model"],
              [(v["version"], v["effective_from"], v["billing_model"]) for v in k["versions"]])
        if k["fee_schedule"]:
            table("fixed fee", ["id", "bill on", "amount", "state"],
                  [(f["id"], f["bill_on"], f["amount"], f["state"]) for f in k["fee_schedule"]])
        if k["milestones"]:
            table("milestones", ["id", "name", "amount", "achieved", "state"],
                  [(m["id"], m["name"], m["amount"], m["achieved_on"] or "", m["state"])
                   for m in k["milestones"]])
        if k["retainer"]:
            r = k["retainer"]
            console.print(f"retainer: {r['monthly_fee']} a month for {r['included_hours']} h "
                          f"(unused hours {r['unused']}); settled: "
                          f"{', '.join(r['months_settled']) or 'none'}")
        if k["cap"]:
            cap = k["cap"]
            console.print(f"cap: {cap['hours'] or '-'} h / {cap['amount'] or '-'} "
                          f"({cap['over_cap']}); invoiced {cap['invoiced_hours']} h, "
                          f"{cap['invoiced_amount']}")
        console.print(f"expenses: {k['expenses']['billing']}"
                      + (f" +{k['expenses']['markup_percent']} %"
                         if k["expenses"]["billing"] == "markup" else ""))


@contracts_app.command("achieve")
def contracts_achieve(
    contract: Annotated[str, typer.Argument(help="Contract id.")],
    milestone: Annotated[str, typer.Argument(help="Milestone id.")],
    on: Annotated[str | None, typer.Option(
        "--achieved-on", help="Date achieved (YYYY-MM-DD); default: the contract's entity's "
        "today.")] = None,
    old_on: Annotated[str | None, deprecated_option("--on")] = None,
    note: Annotated[str, typer.Option(help="What was accepted, by whom.")] = "",
    actor: ActorOption = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mark a milestone achieved: the next billing run through that date bills it, once."""
    with session() as hb:
        try:
            on = renamed(on, old_on, "--on", "--achieved-on")
            day = date.fromisoformat(on) if on else None
        except ValueError:
            raise InvalidInput(f"--achieved-on: {on!r} is not a date (YYYY-MM-DD)") from None
        out = shown(hb.handle(c.AchieveMilestone(contract, milestone, day, actor, note)))
        if as_json:
            print_json(out)
            return
        said = "recorded" if out["recorded"] else "already recorded"
        console.print(f"milestone {out['milestone']} ({out['name']}, {out['amount']} "
                      f"{out['currency']}) {said} as achieved on {out['achieved_on']}")
