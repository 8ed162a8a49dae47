"""Peer: Tryton on the same kind of invoices, written by ``bench/peer_tryton.py``.

This module only calls ``peer_tryton.run_peer(entries=..., postgres_url=..., workdir=...)``
(at most 10,000 entries) and records what it returns. Without PostgreSQL, or when the module
is missing or fails, a result with ``met: null`` and a note says why.
"""

from __future__ import annotations

import importlib
import time
import traceback
from typing import Any

from ..common import Context, log, now_iso, result

PEER_ENTRIES = 10_000
DATABASE = "postgresql"  # as peer_tryton names its result: bench/results/peer-postgresql.json


def _unavailable(ctx: Context, database: str, note: str) -> dict[str, Any]:
    return result("peer", database, min(ctx.entries, PEER_ENTRIES), now_iso(), 0.0, {}, {},
                  None, None, None, [note], ours="not run")


def peer(ctx: Context, kind: str) -> dict[str, Any]:
    entries = min(ctx.entries, PEER_ENTRIES)
    if not ctx.postgres_url:
        return _unavailable(ctx, DATABASE, "peer (Tryton) needs PostgreSQL: set "
                            "HOURBRIDGE_BENCH_POSTGRES_URL or HOURBRIDGE_TEST_POSTGRES_URL")
    try:
        peer_tryton = importlib.import_module("bench.peer_tryton")
        run_peer = peer_tryton.run_peer
    except (ImportError, AttributeError) as exc:
        return _unavailable(ctx, DATABASE, f"bench/peer_tryton.py not available: {exc}")
    log(f"peer: Tryton vs Hourbridge, {entries:,} entries on PostgreSQL")
    t0 = time.perf_counter()
    try:
        res: dict[str, Any] = run_peer(entries=entries, postgres_url=ctx.postgres_url,
                                       workdir=ctx.workdir / "peer")
    except Exception as exc:
        res = _unavailable(ctx, DATABASE, f"peer_tryton.run_peer failed: "
                           f"{type(exc).__name__}: {exc}")
        res["notes"].append(traceback.format_exc(limit=5)[-2000:])
        return res
    res.setdefault("scenario", "peer")
    res.setdefault("database", DATABASE)
    res.setdefault("entries", entries)
    res.setdefault("seconds", round(time.perf_counter() - t0, 3))
    res.setdefault("notes", [])
    return res


UNITS = (("peer", peer, None),)
