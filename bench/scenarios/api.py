"""API intake: ``POST /v1/time-entries`` in batches through a real HTTP server.

A fresh database gets schema and master data (``hourbridge load``); ``hourbridge serve`` runs
on a free loopback port; every row of ``entries.json`` is posted as
``{"source": "api", "entries": [<batch of 1,000 rows>]}`` by one client (sequential requests),
then, in another fresh database and server, by two concurrent clients. Measured: entries per
second over the whole run, p50/p99/max latency per request, retries (503 + Retry-After),
and the server's peak RSS.

Limit: ``hourbridge ingest`` of the same rows (``entries.json``) from the command line into
another fresh database, in the same run. Ratio = API seconds / CLI seconds (above 1: the API
is slower). There is no goal for it in the issue.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..common import (
    Context,
    Database,
    hb_env,
    hourbridge_bin,
    log,
    now_iso,
    prepare,
    rate,
    result,
)
from ..generate import iter_json_rows
from .ingest import measure_cli_ingest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) * 1024 / 1e6, 1)
    except OSError:
        return None
    return None


class Server:
    """``hourbridge serve`` on a free loopback port, up until the block ends."""

    def __init__(self, ctx: Context, db: Database, name: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = ctx.path("logs", f"serve-{name}-{db.kind}.log")
        self.env = hb_env(db)
        self.cwd = ctx.workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.peak_rss_mb: float | None = None

    def __enter__(self) -> Server:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(hourbridge_bin()), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hourbridge serve exited {self.proc.returncode}: "
                                   f"{self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"hourbridge serve did not answer /healthz on {self.base} in 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.peak_rss_mb = _vm_hwm_mb(self.proc.pid)
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def batches(path: Path, size: int, source: str = "api") -> Iterator[tuple[bytes, int]]:
    """Request bodies of ``size`` rows each, built from the file's JSON texts as they are."""
    head = f'{{"source":"{source}","entries":['.encode()
    chunk: list[str] = []
    for text in iter_json_rows(path):
        chunk.append(text)
        if len(chunk) == size:
            yield head + ",".join(chunk).encode() + b"]}", len(chunk)
            chunk = []
    if chunk:
        yield head + ",".join(chunk).encode() + b"]}", len(chunk)


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    requests: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post_all(base: str, path: Path, size: int, clients: int) -> tuple[float, _Tally]:
    tally = _Tally()
    source = batches(path, size)
    take = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base, timeout=900) as http:
            while True:
                with take:
                    item = next(source, None)
                if item is None:
                    return
                body, _n = item
                while True:
                    t0 = time.perf_counter()
                    r = http.post("/v1/time-entries", content=body,
                                  headers={"content-type": "application/json"})
                    elapsed = time.perf_counter() - t0
                    with tally.lock:
                        tally.latencies.append(elapsed)
                        tally.requests += 1
                    if r.status_code == 503:
                        with tally.lock:
                            tally.retries += 1
                        time.sleep(float(r.headers.get("retry-after", "1")))
                        continue
                    with tally.lock:
                        if r.status_code in (200, 201):
                            report = r.json()
                            tally.accepted += report["accepted"]
                            tally.rejected += report["rejected"]
                        elif len(tally.errors) < 5:
                            tally.errors.append(f"{r.status_code}: {r.text[:300]}")
                    break

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for f in [pool.submit(client) for _ in range(clients)]:
            f.result()
    return time.perf_counter() - t0, tally


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _count_api_rows(db: Database) -> int:
    conn = db.connect()
    try:
        return int(conn.execute(
            "SELECT count(*) FROM time_entries WHERE source = 'api'").fetchone()[0])
    finally:
        conn.close()


def api(ctx: Context, kind: str) -> list[dict[str, Any]]:
    ds = ctx.dataset
    path = ds.entries_json
    log(f"api on {kind}: CLI ingest of {path.name} for the limit")
    db = Database.fresh(ctx, kind, "api_cli")
    try:
        prepare(ctx, db)
        cli = measure_cli_ingest(ctx, db, path)
    finally:
        if not ctx.keep:
            db.drop()
    cli_rate = rate(cli["accepted"], cli["seconds"])
    out = []
    for clients in ctx.api_clients:
        started = now_iso()
        t_start = time.perf_counter()
        name = "api" if clients == 1 else f"api-{clients}clients"
        db = Database.fresh(ctx, kind, name.replace("-", "_"))
        notes: list[str] = []
        try:
            setup = prepare(ctx, db)
            with Server(ctx, db, name) as server:
                log(f"api on {kind}: {clients} client(s) posting {ds.entries:,} rows in "
                    f"batches of {ctx.api_batch} to {server.base}")
                seconds, tally = post_all(server.base, path, ctx.api_batch, clients)
            stored = _count_api_rows(db)
        finally:
            if not ctx.keep:
                db.drop()
        if tally.errors:
            notes.append(f"failed requests: {tally.errors}")
        if stored != ds.entries or tally.accepted != ds.entries:
            notes.append(f"stored {stored}, accepted {tally.accepted} of {ds.entries} rows")
        if kind == "sqlite" and clients > 1:
            notes.append("SQLite has one writer at a time: concurrent requests queue on its lock")
        api_rate = rate(tally.accepted, seconds)
        p50 = _quantile(tally.latencies, 0.5)
        p99 = _quantile(tally.latencies, 0.99)
        ratio = seconds / cli["seconds"]
        notes.append("limit is the CLI ingest of the same rows (entries.json), CLI start-up "
                     "included; the API also pays HTTP, JSON validation and per-request commits")
        out.append(result(
            name, kind, ds.entries, started, time.perf_counter() - t_start,
            metrics={"clients": clients, "batch": ctx.api_batch, "seconds": round(seconds, 3),
                     "entries_per_second": api_rate, "requests": tally.requests,
                     "retries": tally.retries, "accepted": tally.accepted,
                     "rejected": tally.rejected, "stored": stored,
                     "latency_p50_ms": round(p50 * 1000, 1),
                     "latency_p99_ms": round(p99 * 1000, 1),
                     "latency_max_ms": round(max(tally.latencies, default=0) * 1000, 1),
                     "server_peak_rss_mb": server.peak_rss_mb, "cpus": os.cpu_count(),
                     **setup},
            limit={"method": "hourbridge ingest of the same rows (entries.json) from the CLI",
                   "seconds": round(cli["seconds"], 3), "entries_per_second": cli_rate,
                   "accepted": cli["accepted"]},
            ratio=ratio, goal=None, met=None, notes=notes,
            ours=f"{api_rate:,.0f}/s, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms",
            limit_text=f"CLI {cli_rate:,.0f}/s"))
    return out


UNITS = (("api", api, None),)
