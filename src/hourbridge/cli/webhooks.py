"""``hourbridge webhooks`` (add, list, remove, test, deliveries): outbound webhook subscriptions;
``webhooks quarantine list|show``: tracker deliveries refused on the way in.

Deliveries follow Standard Webhooks (signed ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) and go through the outbox, so ``hourbridge worker`` sends them. The
signing secret is read from an environment variable (never an argument: shell histories keep
those) or made here and shown once; it is encrypted with ``HOURBRIDGE_SECRET_KEY`` at rest."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import NotFound

from .options import JsonOpt, checked_ids
from .output import console, print_json, session, table

webhooks_app = typer.Typer(help="Outbound webhook subscriptions (Standard Webhooks).",
                           no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="The subscription's name.")]


@webhooks_app.command("add")
def webhooks_add(
    name: Name,
    url: Annotated[str, typer.Option(help="The receiver's URL (https; http on loopback).")],
    event_type: Annotated[list[str], typer.Option(
        "--event-type", help="A CloudEvents type to send (repeat for more; * for all), e.g. "
        "hourbridge.journal.entry.ready.v1.")],
    secret_env: Annotated[str, typer.Option(
        help="Environment variable holding a whsec_ secret (else one is made and shown "
        "once).")] = "HOURBRIDGE_WEBHOOK_SECRET",
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a receiver to event types; deliveries start with the next event."""
    secret = os.environ.get(secret_env) or None
    with session() as hb:
        shown = hb.handle(c.AddWebhook(name, url, tuple(event_type), secret))
    if as_json:
        print_json(shown)
        return
    console.print(f"webhook {shown['name']} added: {', '.join(shown['event_types'])} "
                  f"-> {shown['url']}")
    if "secret" in shown:
        console.print(f"signing secret (shown once, give it to the receiver): "
                      f"{shown['secret']}")


@webhooks_app.command("list")
def webhooks_list(as_json: JsonOpt = False) -> None:
    """Subscriptions with their status (never their secret)."""
    with session() as hb:
        rows = hb.handle(c.ListWebhooks())
    if as_json:
        print_json(rows)
        return
    table("webhooks", ["name", "url", "event types", "status", "disabled because"],
          [(r["name"], r["url"], " ".join(r["event_types"]), r["status"],
            r["disabled_reason"]) for r in rows])


@webhooks_app.command("remove")
def webhooks_remove(name: Name, as_json: JsonOpt = False) -> None:
    """Remove a subscription; its queued deliveries become dead letters
    (subscription_disabled)."""
    with session() as hb:
        shown = hb.handle(c.RemoveWebhook(name))
    if as_json:
        print_json(shown)
    else:
        console.print(f"webhook {name} removed")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    name: Name,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The delivery log: the latest attempts to send to a subscription, newest first."""
    with session() as hb:
        rows = hb.queries.webhook_deliveries(name, limit=limit)
    if as_json:
        print_json(rows)
        return
    table(f"deliveries to {name}", ["at", "webhook-id", "status", "outcome", "error"],
          [(r["attempted_at"], r["webhook_id"], r["status"], r["outcome"], r["error"])
           for r in rows])


@webhooks_app.command("test")
def webhooks_test(name: Name, as_json: JsonOpt = False) -> None:
    """Send one signed hourbridge.webhook.test.v1 event now and show the answer."""
    with session() as hb:
        shown = hb.handle(c.TestWebhook(name))
    if as_json:
        print_json(shown)
    else:
        console.print(f"webhook {name}: {shown['status']} (webhook-id {shown['webhook_id']})")


quarantine_app = typer.Typer(
    help="Tracker webhook deliveries refused (bad signature, replay, malformed body): kept "
    "for audit, never processed.", no_args_is_help=True)
webhooks_app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    connection: Annotated[str | None, typer.Option(
        help="Only this tracker connection's refused deliveries.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Refused deliveries, newest first: when, which connection, why."""
    with session() as hb:
        rows = hb.queries.webhook_quarantine(connection, limit=limit)
    if as_json:
        print_json(rows)
        return
    table("webhook quarantine", ["id", "received", "connection", "reason", "bytes", "detail"],
          [(r["id"], r["received_at"], r["connection"], r["reason"], r["size_bytes"],
            r["detail"]) for r in rows])


@quarantine_app.command("show")
def quarantine_show(
    quarantine_id: Annotated[int, typer.Argument(metavar="ID", help="The refused delivery.")],
    as_json: JsonOpt = False,
) -> None:
    """One refused delivery: its reason, headers (secrets removed) and body as received."""
    checked_ids([quarantine_id], "ID")
    with session() as hb:
        row = hb.queries.webhook_quarantined(quarantine_id)
        if row is None:
            raise NotFound("quarantined delivery", quarantine_id)
    if as_json:
        print_json(row)
        return
    for name in ("id", "connection", "received_at", "reason", "detail", "size_bytes"):
        console.print(f"{name}: {row[name]}", markup=False)
    for header, value in sorted(row["headers"].items()):
        console.print(f"header {header}: {value}", markup=False)
    console.print(f"body ({row['body_encoding']}):", markup=False)
    console.print(row["body"], markup=False, highlight=False)
