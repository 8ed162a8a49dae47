"""``hourbridge deals``: CRM won deals (issue 11 item 8). ``connect`` a Salesforce org (its
OAuth client secret from an environment variable or a hidden prompt, never an argument),
``pull`` its won opportunities, then ``list``, ``show``, ``confirm`` (with the rates a person
sets) or ``reject`` each draft."""

from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from hourbridge.domain import commands as c
from hourbridge.domain.deals import STATES
from hourbridge.errors import InvalidInput

from .options import ActorOption, JsonOpt
from .output import cli_errors, console, print_json, session, table

deals_app = typer.Typer(help="Won CRM deals (Salesforce): drafts waiting for their rates.",
                        no_args_is_help=True)
Opportunity = Annotated[str, typer.Argument(help="The Salesforce opportunity id.")]


def _from_env(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    return (value if value is not None else typer.prompt(prompt, hide_input=True)).strip()


@deals_app.command("connect")
def deals_connect(
    name: Annotated[str, typer.Argument(help="The connection's name.")],
    base_url: Annotated[str, typer.Option(help="The org's My Domain URL (https).")],
    client_id: Annotated[str, typer.Option(help="The connected app's consumer key.")],
    secret_env: Annotated[str, typer.Option(
        help="Environment variable holding the consumer secret (else a hidden prompt).")]
    = "HOURBRIDGE_CRM_CLIENT_SECRET",
    webhook_secret_env: Annotated[str, typer.Option(
        help="Environment variable holding the secret pushed events are signed with.")]
    = "HOURBRIDGE_CRM_WEBHOOK_SECRET",
    organization_id: Annotated[str | None, typer.Option(
        help="The org id outbound messages must come from.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a Salesforce connection (OAuth client credentials); sealed at rest."""
    parts = [("client_id", client_id),
             ("client_secret", _from_env(secret_env, "Consumer secret"))]
    hook = os.environ.get(webhook_secret_env, "").strip()
    if hook:
        parts.append(("webhook_secret", hook))
    if organization_id:
        parts.append(("organization_id", organization_id))
    with session() as hb:
        shown = hb.handle(c.AddCrmConnection(name, "salesforce", base_url,
                                             c.Secret(tuple(parts))))
    if as_json:
        print_json(shown)
    else:
        console.print(f"connection {shown['name']} (salesforce) added")


@deals_app.command("pull")
def deals_pull(
    connection: Annotated[str, typer.Argument(help="The CRM connection.")],
    full: Annotated[bool, typer.Option(help="All won deals, not only those since the "
                                       "cursor.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Take the opportunities won since the last pull (each once)."""
    with session() as hb:
        report = hb.handle(c.PullDeals(connection, full))
    if as_json:
        print_json(report)
    else:
        console.print(f"{connection}: {report['won']} won, {report['taken']} new, "
                      f"{report['duplicates']} taken before; cursor {report['cursor_after']}")


@deals_app.command("list")
def deals_list(
    state: Annotated[str | None, typer.Option(help=f"One of {', '.join(STATES)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Won deals and where each stands."""
    with session() as hb:
        if state is not None and state not in STATES:
            raise InvalidInput(f"--state must be one of {', '.join(STATES)}")
        rows = hb.handle(c.ShowDeals(state, None, limit))
    if as_json:
        print_json(rows)
        return
    table("deals", ["opportunity", "name", "account", "state", "customer", "amount"],
          [(r["opportunity_id"], r["name"], r["account"]["name"], r["state"],
            r["customer"] or ("?: " + ", ".join(r["candidates"]) if r["candidates"] else "new"),
            f"{r['amount'] or ''} {r['currency'] or ''}".strip()) for r in rows])


@deals_app.command("show")
def deals_show(opportunity_id: Opportunity, as_json: JsonOpt = False) -> None:
    """The deal, its lines and the draft a confirm would load."""
    with session() as hb:
        deal: dict[str, Any] = hb.handle(c.ShowDeal(opportunity_id))
    if as_json:
        print_json(deal)
        return
    console.print(f"{deal['opportunity_id']} {deal['name']} [{deal['state']}] account "
                  f"{deal['account']['name']}", highlight=False)
    table("lines", ["line", "name", "qty", "price", "hourly"],
          [(ln["id"], ln["name"], ln["quantity"], ln["rate"], "yes" if ln["hourly"] else "")
           for ln in deal["lines"]])
    if deal.get("needs"):
        console.print(f"needs: {deal['needs']}", highlight=False)


def _rates(given: list[str]) -> tuple[tuple[str, Decimal], ...]:
    out: list[tuple[str, Decimal]] = []
    for item in given:
        line, sep, price = item.partition("=")
        try:
            if not sep:
                raise InvalidOperation
            out.append((line.strip(), Decimal(price.strip())))
        except InvalidOperation:
            raise InvalidInput(f"--rate {item!r}: write LINE_ID=PRICE (e.g. "
                               "00kRO00000Bc1dEYAR=250.00)") from None
    return tuple(out)


@deals_app.command("confirm")
def deals_confirm(
    opportunity_id: Opportunity,
    rate: Annotated[list[str] | None, typer.Option(
        help="LINE_ID=PRICE: a line's price instead of the proposed one (repeatable).")]
    = None,
    customer: Annotated[str | None, typer.Option(help="The customer (ambiguous accounts).")]
    = None,
    entity: Annotated[str | None, typer.Option(help="The legal entity (several firms).")]
    = None,
    note: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    actor: ActorOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Make the draft a live contract (customer, project, contract, rate card)."""
    with cli_errors():
        rates = _rates(rate or [])
    with session() as hb:
        out = hb.handle(c.ConfirmDeal(opportunity_id, actor, rates, customer, entity, note))
    if as_json:
        print_json(out)
    else:
        console.print(f"deal {opportunity_id} confirmed: contract {out['contract']}, project "
                      f"{out['project']}, customer {out['customer']}", highlight=False)


@deals_app.command("reject")
def deals_reject(opportunity_id: Opportunity,
                 note: Annotated[str, typer.Option(help="Why (kept).")] = "",
                 actor: ActorOption = "", as_json: JsonOpt = False) -> None:
    """Close the deal; nothing of it is created."""
    with session() as hb:
        out = hb.handle(c.RejectDeal(opportunity_id, actor, note))
    if as_json:
        print_json(out)
    else:
        console.print(f"deal {opportunity_id} rejected")
