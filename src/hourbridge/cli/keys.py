"""``hourbridge keys``: API keys of client systems (create, list, rotate, revoke, scopes).

A key's text is printed once, when it is made; only its SHA-256 is stored.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from hourbridge.domain.access import ROLES, SCOPES
from hourbridge.errors import InvalidInput

from .options import JsonOpt, cli_actor
from .output import console, print_json, session, table

keys_app = typer.Typer(help="API keys of client systems: one per system, shown once.",
                       no_args_is_help=True)

_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise InvalidInput(f"--overlap: {text!r} is not a duration like 30m, 24h or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help=f"The role: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="The client system the key is for.")] = "admin",
    scope: Annotated[list[str] | None, typer.Option(
        help="A scope beyond the role's (repeat; see `keys scopes`).")] = None,
    entity: Annotated[list[str] | None, typer.Option(
        help="Limit the key to this legal entity (repeat); default: all.")] = None,
    employee: Annotated[str | None, typer.Option(
        help="The employee the key's user is (they cannot approve their own time).")] = None,
    rate_limit: Annotated[int | None, typer.Option(
        help="Requests a minute (0: none); default HOURBRIDGE_API_RATE_LIMIT.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a key; its text is printed once (keep it: only its hash is stored)."""
    with session() as hb:
        record, text = hb.access.create(name, role, cli_actor(), scopes=scope or (),
                                        entities=entity or None, employee=employee,
                                        rate_limit=rate_limit)
        if as_json:
            print_json({**record.as_dict(), "key": text})
            return
        console.print(f"key {record.key_id} for {record.name} ({record.role}); shown once:")
        typer.echo(text)


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    """Every key with its role, entities, last use and state (never a secret)."""
    with session() as hb:
        now = hb.clock()
        records = hb.access.list()
        if as_json:
            print_json([{**r.as_dict(), "active": r.active(now)} for r in records])
            return
        table("api keys", ["key id", "name", "role", "entities", "created", "last used",
                           "expires", "state"],
              [(r.key_id, r.name, r.role, ",".join(r.entities) if r.entities else "all",
                r.created_at.isoformat()[:16],
                r.last_used_at.isoformat()[:16] if r.last_used_at else "",
                r.expires_at.isoformat()[:16] if r.expires_at else "",
                "revoked" if r.revoked_at else ("active" if r.active(now) else "expired"))
               for r in records])


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="The key id (from `keys list`).")],
    overlap: Annotated[str, typer.Option(
        help="How long the old key keeps working: 30m, 24h, 7d (at most 90d).")] = "24h",
    as_json: JsonOpt = False,
) -> None:
    """A new key with the same grants; the old one works until the overlap ends."""
    with session() as hb:
        record, text = hb.access.rotate(key_id, cli_actor(), _duration(overlap))
        if as_json:
            print_json({**record.as_dict(), "key": text, "replaces": key_id})
            return
        console.print(f"key {record.key_id} replaces {key_id} (which works for {overlap} "
                      "more); shown once:")
        typer.echo(text)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (from `keys list`).")],
    as_json: JsonOpt = False,
) -> None:
    """Stop a key at once (its dashboard sessions too)."""
    with session() as hb:
        record = hb.access.revoke(key_id)
        if as_json:
            print_json(record.as_dict())
            return
        console.print(f"key {key_id} revoked")


@keys_app.command("policy")
def keys_policy(
    entity: Annotated[str | None, typer.Argument(help="A legal entity code.")] = None,
    four_eyes: Annotated[bool | None, typer.Option(
        "--four-eyes/--no-four-eyes",
        help="Whether its invoices must be issued by someone other than who ran the billing "
        "that drafted them.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set (with --four-eyes/--no-four-eyes) or show the entities' access policies."""
    with session() as hb:
        if four_eyes is not None:
            if entity is None:
                raise InvalidInput("name the entity whose policy to set")
            codes = [e["code"] for e in hb.queries.masterdata("entities")]
            hb.access.set_four_eyes(entity, four_eyes, codes)
        policies = hb.access.four_eyes()
        shown = {e: on for e, on in sorted(policies.items()) if entity in (None, e)}
        if as_json:
            print_json({e: {"four_eyes_issue": on} for e, on in shown.items()})
            return
        table("entity policies", ["entity", "four eyes on issue"],
              [(e, "yes" if on else "no") for e, on in shown.items()])


@keys_app.command("scopes")
def keys_scopes(as_json: JsonOpt = False) -> None:
    """The scopes, and the roles that bundle them."""
    rows = {s: sorted(r for r, held in ROLES.items() if s in held or "admin" in held)
            for s in SCOPES}
    if as_json:
        print_json({"scopes": SCOPES, "roles": {r: sorted(s) for r, s in ROLES.items()}})
        return
    table("scopes", ["scope", "what", "roles"],
          [(s, SCOPES[s], ", ".join(roles)) for s, roles in rows.items()])
