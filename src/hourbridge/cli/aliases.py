"""``hourbridge aliases add``: say which code a tracker's id means; the rows that waited in
the exception queue for it (``unknown_alias``, whose message suggests the code) are taken
again at once."""

from __future__ import annotations

from typing import Annotated

import typer

from hourbridge.domain import commands as c

from .options import JsonOpt
from .output import console, print_json, session

aliases_app = typer.Typer(help="Tracker ids as Hourbridge codes (per source).",
                          no_args_is_help=True)


@aliases_app.command("add")
def aliases_add(
    source: Annotated[str, typer.Argument(help="The source (a connection's name, or the "
                                          "--source of an ingest).")],
    kind: Annotated[str, typer.Argument(help="user, project or task.")],
    external_id: Annotated[str, typer.Argument(metavar="ID", help="The tracker's id.")],
    code: Annotated[str, typer.Argument(help="The employee, project or task code it means.")],
    as_json: JsonOpt = False,
) -> None:
    """Add (or change) one alias and take again the rows that waited for it."""
    with session() as hb:
        shown = hb.handle(c.AddAlias(source, kind, external_id, code))
    if as_json:
        print_json(shown)
        return
    console.print(f"{source} {kind} {external_id} -> {code}"
                  + (f" (was {shown['was']})" if shown["was"] else "")
                  + f": {shown['resolved']} of {shown['waiting']} waiting rows taken",
                  markup=False)
    for exc_id, reason in shown["still_open"].items():
        console.print(f"  exception {exc_id} still open: {reason}", markup=False)
