"""The table of issue 16, from stored results: every row at every size, on each database.

``python -m bench all --sizes 10000,100000,1000000`` runs the scenarios at each size (each
result is also kept under ``bench/results/sizes/<N>/``) and ends with this table, written to
``bench/results/table.md`` and printed. ``python -m bench table`` prints it again from what is
stored; ``--baseline DIR`` (a ``sizes`` folder of an earlier run, e.g. one copied from main)
adds a *before* column beside each size.

A row is met when its goal holds at every size it was measured at, the result was correct
(the scenario's own ``met`` is not false for a reason other than the goal), and, for the
incremental rows, the figure is flat: at the largest size at most ``FLAT`` times the smallest
size's (timings on a shared machine are noisy; the CPU figures beside them are steadier).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import RESULTS

SIZES_DIR = RESULTS / "sizes"
TABLE_FILE = RESULTS / "table.md"
DATABASES = ("sqlite", "postgres")
FLAT = 1.5  # largest size's figure over the smallest's, at most, for "flat in history"

Result = dict[str, Any]


def _m(r: Result, *path: str) -> Any:
    value: Any = r.get("metrics") or {}
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _per_entry_us(r: Result, seconds: Any) -> str:
    n = r.get("entries")
    if not isinstance(seconds, (int, float)) or not n:
        return ""
    return f"{1e6 * seconds / n:.0f} µs/entry"


@dataclass(frozen=True)
class Row:
    measure: str
    scenario: str
    goal: str
    value: Callable[[Result], float | None]  # the figure the goal is about
    shown: Callable[[Result], str]  # the cell: the figure and its per-entry cost
    meets: Callable[[float], bool]
    flat: bool = False  # incremental: must not grow with the stored history
    # the same figure in CPU time, where the result has it: its growth is shown beside the
    # wall time's (steadier on a busy machine; the verdict stays on the wall time)
    cpu: Callable[[Result], float | None] | None = None
    databases: tuple[str, ...] = DATABASES


def _ratio(r: Result) -> float | None:
    value = r.get("ratio")
    return float(value) if isinstance(value, (int, float)) else None


def _fig(key: str) -> Callable[[Result], float | None]:
    def get(r: Result) -> float | None:
        value = _m(r, key)
        return float(value) if isinstance(value, (int, float)) else None
    return get


def _peer(r: Result) -> float | None:
    value = _m(r, "ratios", "bill_issue_in_process")
    return float(value) if isinstance(value, (int, float)) else None


ROWS = (
    Row("ingest CSV, ours ÷ raw insert/COPY", "ingest-csv", "≤ 3×", _ratio,
        lambda r: f"{r['ratio']:.1f}× ({_per_entry_us(r, _m(r, 'ingest_seconds'))})",
        lambda v: v <= 3),
    Row("billing run, ours ÷ SUM … GROUP BY", "billing", "≤ 3×", _ratio,
        lambda r: f"{r['ratio']:.1f}× ({1000 * (_m(r, 'bill_ms_per_entry') or 0):.0f} "
                  "µs/entry)",
        lambda v: v <= 3),
    Row("bill + issue vs Tryton 7.0, same T&M entries (10k, or N if less)", "peer",
        "≥ 100× faster", _peer,
        lambda r: f"{_peer(r):.1f}× (bill only {_m(r, 'ratios', 'billing_in_process')}×)",
        lambda v: v >= 100, databases=("postgres",)),
    Row("100 new entries billed after N invoiced", "billing-incremental", "≤ 10 ms, flat",
        _fig("bill_ms"), lambda r: f"{_m(r, 'bill_ms')} ms ({_m(r, 'bill_ms') / 100:.2f} "
                                   "ms/entry)",
        lambda v: v <= 10, flat=True),
    Row("approving 100 new entries after N stored", "approval-incremental", "≤ 20 ms, flat",
        _fig("approve_ms"), lambda r: f"{_m(r, 'approve_ms')} ms (CPU "
                                      f"{_m(r, 'approve_cpu_ms')} ms)",
        lambda v: v <= 20, flat=True, cpu=_fig("approve_cpu_ms")),
    Row("issuing, ms per invoice", "issuing", "≤ 1 ms", _fig("ms_per_invoice"),
        lambda r: f"{_m(r, 'ms_per_invoice')} ms (CPU {_m(r, 'cpu_ms_per_invoice')} ms, "
                  f"{_m(r, 'invoices_issued')} invoices)",
        lambda v: v <= 1),
)


def load(directory: Path = SIZES_DIR) -> dict[tuple[str, str, int], Result]:
    """(scenario, database, entries) -> result, from ``directory/<N>/<scenario>-<db>.json``."""
    found: dict[tuple[str, str, int], Result] = {}
    for path in sorted(directory.glob("*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(data, dict) or "scenario" not in data:
            continue
        db = "postgres" if data.get("database") == "postgresql" else str(data.get("database"))
        size = int(path.parent.name) if path.parent.name.isdigit() else data.get("entries")
        if isinstance(size, int):
            found[(str(data["scenario"]), db, size)] = data
    return found


def _load(r: Result | None) -> float | None:
    """The 1-minute load average the result records (the peer: at its start)."""
    if r is None:
        return None
    value = (r.get("host") or {}).get("loadavg_1m_at_end")
    if value is None:
        started = _m(r, "scenario", "load_average_at_start")
        value = started[0] if isinstance(started, list) and started else None
    return value if isinstance(value, (int, float)) else None


def _cell(row: Row, r: Result | None) -> str:
    if r is None:
        return "–"
    if row.value(r) is None:
        return "failed" if r.get("met") is False else "–"
    try:
        return row.shown(r)
    except (TypeError, ValueError, KeyError):
        return f"{row.value(r):g}"


def _verdict(row: Row, results: list[Result]) -> str:
    values = [v for v in (row.value(r) for r in results) if v is not None]
    if not values:
        return "not measured"
    goal_ok = all(row.meets(v) for v in values)
    words = ["yes" if goal_ok else "no"]
    if row.flat and len(values) > 1:
        growth = values[-1] / values[0] if values[0] else float("inf")
        words.append(f"growth {growth:.2f}× ({'flat' if growth <= FLAT else 'grows'})")
        goal_ok = goal_ok and growth <= FLAT
        words[0] = "yes" if goal_ok else "no"
        cpus = [c for c in (row.cpu(r) for r in results) if c] if row.cpu else []
        if len(cpus) > 1:
            words.append(f"CPU growth {cpus[-1] / cpus[0]:.2f}×")
    return ", ".join(words)


def build(sizes: list[int] | None = None, directory: Path = SIZES_DIR,
          baseline: Path | None = None) -> tuple[list[int], list[dict[str, Any]]]:
    after = load(directory)
    before = load(baseline) if baseline is not None else {}
    if not sizes:
        sizes = sorted({n for (_, _, n) in after})
    table = []
    for row in ROWS:
        for db in row.databases:
            by_size = {n: after.get((row.scenario, db, n)) for n in sizes}
            if row.scenario == "peer":  # the peer runs once, on at most 10,000 entries
                peer = after.get((row.scenario, db, min(min(sizes), 10_000)))
                peer = peer or next((after[k] for k in sorted(after) if k[0] == "peer"), None)
                by_size = {n: (peer if n == min(sizes) else None) for n in sizes}
            measured = [r for r in (by_size[n] for n in sizes) if r is not None]
            table.append({
                "measure": row.measure, "database": db, "goal": row.goal,
                "cells": {n: _cell(row, by_size[n]) for n in sizes},
                "before": {n: _cell(row, before.get((row.scenario, db, n))) for n in sizes},
                "values": {n: (None if r is None else row.value(r))
                           for n, r in by_size.items()},
                "load": {n: _load(by_size[n]) for n in sizes},
                "met": _verdict(row, measured),
            })
    return sizes, table


def markdown(sizes: list[int], table: list[dict[str, Any]], with_before: bool) -> str:
    head = ["measure", "db", "goal"]
    for n in sizes:
        head += ([f"{n:,} before", f"{n:,} after"] if with_before else [f"{n:,}"])
    head += ["met", "load (1 min) per size"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in table:
        cells = [t["measure"], t["database"], t["goal"]]
        for n in sizes:
            cells += ([t["before"][n], t["cells"][n]] if with_before else [t["cells"][n]])
        loads = " / ".join("–" if t["load"][n] is None else f"{t['load'][n]:g}" for n in sizes)
        cells += [t["met"], loads]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def server_line(directory: Path = SIZES_DIR) -> str:
    """The PostgreSQL server's settings the results were measured on (``common._SERVER``), as
    one line under the table: a PostgreSQL figure compared between runs or machines is only
    comparable on a server set alike (its buffers, whether it vacuums)."""
    for r in load(directory).values():
        settings = (r.get("host") or {}).get("postgres_server")
        if settings:
            shown = ", ".join(f"{k} {v}" for k, v in sorted(settings.items()))
            # the server's own values; Hourbridge's sessions set two of their own
            return (f"\nPostgreSQL server: {shown}. Hourbridge's sessions override jit "
                    "(off) and plan_cache_mode (force_custom_plan): store/engine.py.\n")
    return ""


def main(sizes: list[int] | None = None, baseline: Path | None = None, as_json: bool = False,
         write: bool = False) -> int:
    sizes, table = build(sizes, baseline=baseline)
    if not sizes:
        print(f"no results in {SIZES_DIR}: run `python -m bench all --sizes ...` first")
        return 0
    text = markdown(sizes, table, baseline is not None) + server_line()
    if write:
        TABLE_FILE.write_text(text, encoding="utf-8")
    if as_json:
        print(json.dumps({"sizes": sizes, "rows": table}, indent=2, default=str))
    else:
        print(text, end="")
    return 0
