"""``hourbridge connections`` (add, list, test, remove) and ``hourbridge sync``: pull a
tracker connection's entries through the inbox. The secret is read from an environment
variable or a hidden prompt (never an argument: shell histories keep those), encrypted with
``HOURBRIDGE_SECRET_KEY`` and never printed."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput

from .options import JsonOpt
from .output import console, print_json, session, table

connections_app = typer.Typer(help="Tracker connections (Harvest, Toggl, Clockify, Kimai).",
                              no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="The connection's name; also the source of its "
                                     "entries and of the id aliases they map through.")]


def _secret(token_env: str, account_id: str | None) -> c.Secret:
    token = os.environ.get(token_env)
    if token is None:
        token = typer.prompt("API token", hide_input=True)
    parts = [("token", token.strip())]
    if account_id:
        parts.append(("account_id", account_id))
    return c.Secret(tuple(parts))


@connections_app.command("add")
def connections_add(
    name: Name,
    tracker: Annotated[str, typer.Option(help="harvest, toggl, clockify or kimai.")],
    base_url: Annotated[str, typer.Option(help="The tracker's API base URL (https).")],
    account_id: Annotated[str | None, typer.Option(
        help="Harvest-Account-Id (Harvest only).")] = None,
    token_env: Annotated[str, typer.Option(
        help="Environment variable holding the API token (else a hidden prompt).")]
    = "HOURBRIDGE_CONNECTION_TOKEN",
    as_json: JsonOpt = False,
) -> None:
    """Add a connection; its token is encrypted at rest and never shown again."""
    with session() as hb:
        shown = hb.handle(c.AddConnection(name, tracker, base_url,
                                          _secret(token_env, account_id)))
        if as_json:
            print_json(shown)
        else:
            console.print(f"connection {shown['name']} ({shown['tracker']}) added")


@connections_app.command("list")
def connections_list(as_json: JsonOpt = False) -> None:
    """Connections with their cursor and last sync (never their secret)."""
    with session() as hb:
        rows = hb.handle(c.ListConnections())
        if as_json:
            print_json(rows)
            return
        table("connections", ["name", "tracker", "base url", "cursor", "synced"],
              [(r["name"], r["tracker"], r["base_url"], r["cursor"] or "",
                (r["synced_at"] or "")[:19]) for r in rows])


@connections_app.command("test")
def connections_test(name: Name, as_json: JsonOpt = False) -> None:
    """One request to the tracker with the stored credentials."""
    with session() as hb:
        result = hb.handle(c.TestConnection(name))
        if as_json:
            print_json(result)
        else:
            console.print(f"connection {name}: ok")


@connections_app.command("webhook-secret")
def connections_webhook_secret(
    name: Name,
    secret_env: Annotated[str, typer.Option(
        help="Environment variable holding the secret (else a hidden prompt): Toggl's "
             "subscription secret, or Clockify's webhook authToken.")]
    = "HOURBRIDGE_WEBHOOK_SECRET",
    as_json: JsonOpt = False,
) -> None:
    """Store the secret that verifies the connection's webhook deliveries (POST
    /v1/webhooks/NAME); encrypted at rest like the token, never shown again."""
    value = os.environ.get(secret_env)
    if value is None:
        value = typer.prompt("Webhook secret", hide_input=True)
    with session() as hb:
        result = hb.handle(c.SetWebhookSecret(
            name, c.Secret((("webhook_secret", value.strip()),))))
        if as_json:
            print_json(result)
        else:
            console.print(f"connection {name}: webhook secret set")


@connections_app.command("mark-exported")
def connections_mark_exported(name: Name, as_json: JsonOpt = False) -> None:
    """Mark the connection's invoiced entries exported at its tracker (Kimai: PATCH
    /api/timesheets/ID {"exported": true}), each once; safe to run again after a failure."""
    with session() as hb:
        result = hb.handle(c.MarkExported(name))
        if as_json:
            print_json(result)
            return
        console.print(f"connection {name}: {result['marked']} entries marked exported"
                      + (f", {result['refused']} refused by the tracker" if result["refused"]
                         else ""))
        for external_id, reason in result["refused_ids"].items():
            console.print(f"  {external_id}: {reason}", markup=False)


@connections_app.command("publish")
def connections_publish(
    name: Name,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read the tracker and show what would change; write nothing.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Offer Hourbridge's customers, active projects, their tasks and assignments at the
    connection's tracker: created, updated or archived there by its ids (a closed project is
    archived; an assignment ended is removed), so consultants pick only valid codes. Safe to
    run again after a failure."""
    with session() as hb:
        report = hb.handle(c.PublishMasterData(name, dry_run))
        if as_json:
            print_json(report)
            return
        table(f"publish {name}" + (" (dry run)" if dry_run else ""),
              ["kind", "created", "updated", "archived", "removed", "unchanged"],
              [(kind, n["create"], n["update"], n["archive"], n["remove"], n["unchanged"])
               for kind, n in report["by_kind"].items()])
        for line in report["skipped"]:
            console.print(f"  skipped {line}", markup=False)
        for line in report["refused"]:
            console.print(f"  refused {line}", markup=False)


@connections_app.command("remove")
def connections_remove(name: Name, as_json: JsonOpt = False) -> None:
    """Forget a connection (its entries stay)."""
    with session() as hb:
        result = hb.handle(c.RemoveConnection(name))
        if as_json:
            print_json(result)
        else:
            console.print(f"connection {name} removed")


def sync(
    name: Name,
    full: Annotated[bool, typer.Option(
        "--full", help="Pull everything, and notice entries gone from the source.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Pull a connection's entries changed since its cursor through the inbox; the cursor
    moves only once every page is stored, so a sync cut short is simply run again."""
    with session() as hb:
        if not name:
            raise InvalidInput("a connection name is required")
        report = hb.handle(c.SyncConnection(name, full)).as_dict()
        if as_json:
            print_json(report)
            return
        table(f"sync {name}", ["pages", "rows", "accepted", "revised", "unchanged",
                               "rejected", "deleted", "gone"],
              [(report["pages"], report.get("rows", 0), report.get("accepted", 0),
                report.get("revised", 0), report.get("unchanged", 0),
                report.get("rejected", 0), report.get("deleted", 0),
                report["gone_from_source"])])
        if report["reasons"]:
            console.print("rejected by reason: " + ", ".join(
                f"{k} {v}" for k, v in report["reasons"].items())
                + " (see `hourbridge exceptions list`)")
