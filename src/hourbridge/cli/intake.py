"""``hourbridge ingest``: canonical time files through the inbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hourbridge.domain import commands as c
from hourbridge.errors import InvalidInput
from hourbridge.formats.timefile import TimeFile

from .options import JsonOpt
from .output import print_json, session, table


def ingest(
    files: Annotated[list[Path], typer.Argument(help="Canonical CSV or JSON time files.")],
    source: Annotated[str, typer.Option(help="Source system name, part of every entry's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Take canonical time entries through the inbox: kept, validated, stored or queued."""
    with session() as hb:
        reports = []
        for path in files:
            if not path.is_file():
                raise InvalidInput(f"{path}: cannot read: no such file")
            report = hb.handle(c.IngestTimeEntries(source, TimeFile.from_path(path)))
            reports.append({"file": str(path), **report.as_dict()})
        if as_json:
            print_json(reports)
            return
        table("ingest", ["file", "rows", "accepted", "revised", "unchanged", "rejected",
                         "deleted", "corrections", "note"],
              [(r["file"], r["rows"], r["accepted"], r["revised"], r["unchanged"],
                r["rejected"], r["deleted"], r["corrections_proposed"],
                "same payload already taken" if r["duplicate_payload"] else "")
               for r in reports], right=["rows", "accepted", "revised", "unchanged", "rejected",
                                         "deleted", "corrections"])
