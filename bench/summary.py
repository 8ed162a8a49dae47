"""One table of every result in ``bench/results/*.json``: ours, the limit, ratio, goal, met."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .common import RESULTS

ORDER = ("ingest-csv", "ingest-json", "ingest-expenses", "billing", "api", "api-2clients",
         "memory", "peer")
SUMMARY_FILE = "summary.json"


def load_results(directory: Path = RESULTS) -> list[dict[str, Any]]:
    out = []
    for path in sorted(directory.glob("*.json")):
        if path.name == SUMMARY_FILE:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "scenario" in data:
            data["_file"] = path.name
            out.append(data)

    def key(r: dict[str, Any]) -> tuple[int, str, int, str]:
        name, db = str(r["scenario"]), str(r.get("database"))
        return (ORDER.index(name) if name in ORDER else len(ORDER), name,
                0 if db == "sqlite" else 1, db)

    return sorted(out, key=key)


def rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table = []
    for r in results:
        shown = r.get("summary") or {}
        ours = shown.get("ours") or (f"{r['seconds']:.1f} s" if r.get("seconds") else "")
        limit = shown.get("limit")
        ratios = (r.get("metrics") or {}).get("ratios")
        if not shown and isinstance(ratios, dict):  # the peer's own shape
            ours = "Hourbridge vs Tryton: " + ", ".join(f"{k} {v}x" for k, v in ratios.items())
            limit = "Tryton, same entries and invoices"
        if limit is None:
            limit = ", ".join(f"{k} {v}" for k, v in (r.get("limit") or {}).items())[:60]
        table.append({
            "scenario": r["scenario"], "database": r.get("database"),
            "entries": r.get("entries"), "ours": ours, "limit": limit,
            "ratio": r.get("ratio"), "goal": r.get("goal"), "met": r.get("met"),
            "started_at": r.get("started_at"), "file": r.get("_file"),
            "notes": r.get("notes", []),
        })
    return table


def _met(value: Any) -> str:
    if value is True:
        return "[green]yes[/green]"
    if value is False:
        return "[red]no[/red]"
    return "-"


def print_table(table: list[dict[str, Any]], console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=150)
    t = Table(title="Hourbridge benchmarks (ratio = ours / limit)", title_justify="left",
              header_style="bold")
    for col in ("scenario", "db", "entries", "ours", "limit", "ratio", "goal", "met"):
        t.add_column(col, justify="right" if col in ("entries", "ratio") else "left",
                     overflow="fold")
    for r in table:
        goal = r["goal"] or "-"
        if len(goal) > 40:
            goal = goal[:37] + "..."
        t.add_row(r["scenario"], str(r["database"]),
                  f"{r['entries']:,}" if isinstance(r["entries"], int) else str(r["entries"]),
                  r["ours"], r["limit"] or "-",
                  "-" if r["ratio"] is None else f"{r['ratio']:.2f}", goal, _met(r["met"]))
    console.print(t)
    for r in table:
        for note in r["notes"]:
            if note.startswith(("failed", "expenses", "peer", "bench/peer")) or "differs" in note:
                console.print(f"[dim]{r['scenario']}/{r['database']}:[/dim] {note[:400]}",
                              highlight=False)


def main(as_json: bool = False, write: bool = False) -> int:
    table = rows(load_results())
    if write:
        (RESULTS / SUMMARY_FILE).write_text(json.dumps(table, indent=2, default=str) + "\n",
                                            encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(table, indent=2, default=str) + "\n")
    else:
        if not table:
            Console().print(f"no results in {RESULTS}: run `python -m bench` first")
            return 0
        print_table(table)
    return 0
