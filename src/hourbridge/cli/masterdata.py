"""``hourbridge load``: master data from bundle files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats import parse_bundle_files, to_domain

from .options import JsonOpt
from .output import print_json, session, table


def load(
    files: Annotated[list[Path], typer.Argument(help="Bundle files (YAML or JSON).")],
    as_json: JsonOpt = False,
) -> None:
    """Upsert master data from bundle files, all or nothing."""
    with session() as hb:
        docs, problems = parse_bundle_files(files)
        if problems:
            raise InvalidInput(f"nothing loaded: {len(problems)} problem(s)", list(problems))
        counts = hb.handle(c.LoadMasterData(to_domain(docs)))
        if as_json:
            print_json(counts)
            return
        table("master data loaded", ["kind", "created", "updated", "unchanged"],
              [(k, v["created"], v["updated"], v["unchanged"]) for k, v in counts.items()],
              right=["created", "updated", "unchanged"])
