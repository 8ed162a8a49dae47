"""``hourbridge serve``: the REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from .output import announce, cli_errors


def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the REST API (OpenAPI at /openapi.json, docs at /docs) and the dashboard
    (/dashboard) with an in-process worker."""
    import uvicorn

    from hourbridge.dbsetup import open_database

    with cli_errors():  # refused set-up: one line and exit 2 before the server starts
        hb = open_database(announce=announce)
        try:
            if not hb.access.any_active():  # every API route but the probes needs a key
                announce("no API key yet: make one with `hourbridge keys create --role admin` "
                         "and send it as `Authorization: Bearer <key>`")
        finally:
            hb.close()

    # By name, not by import: the CLI and the API are siblings that do not import each other.
    uvicorn.run("hourbridge.api.app:app_from_environment", factory=True, host=host, port=port)
