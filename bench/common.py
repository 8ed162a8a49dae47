"""What every scenario shares: the run context, fresh databases, the CLI runner, results."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console

from .generate import Dataset, ensure_dataset

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
DEFAULT_WORKDIR = BENCH / ".work"
POSTGRES_ENV = ("HOURBRIDGE_BENCH_POSTGRES_URL", "HOURBRIDGE_TEST_POSTGRES_URL")

err = Console(stderr=True, highlight=False)


def log(message: str) -> None:
    err.print(f"[dim]{datetime.now().strftime('%H:%M:%S')}[/dim] {message}")


def postgres_url_from_env() -> str | None:
    for name in POSTGRES_ENV:
        value = os.environ.get(name)
        if value:
            return value
    return None


def hourbridge_bin() -> Path:
    """The ``hourbridge`` script next to the running interpreter (the project's venv)."""
    for candidate in (Path(sys.executable).parent / "hourbridge",
                      REPO / ".venv" / "bin" / "hourbridge"):
        if candidate.exists():
            return candidate
    found = shutil.which("hourbridge")
    if found:
        return Path(found)
    raise SystemExit("cannot find the hourbridge command: run `make` or pip install -e . first")


@dataclass
class Context:
    entries: int
    seed: int
    workdir: Path
    databases: list[str]
    postgres_url: str | None
    keep: bool = False
    api_clients: tuple[int, ...] = (1, 2)
    api_batch: int = 1000
    _dataset: Dataset | None = field(default=None, repr=False)
    # set-up saved for later scenarios of this size (bench/stages.py), dropped at its end
    stages: Any = field(default=None, repr=False)

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = ensure_dataset(self.workdir, self.entries, self.seed, log)
        return self._dataset

    def path(self, *parts: str) -> Path:
        p = self.workdir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


# --- databases -----------------------------------------------------------------------------
_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass
class Database:
    """A fresh database for one measurement: a new SQLite file, or a new PostgreSQL database
    ``hb_bench_<name>_<pid>`` on the server of the configured URL (dropped first if it exists).
    The process id is in the name so two bench runs on one server never drop each other's
    database."""

    kind: str
    name: str
    url: str  # what HOURBRIDGE_DATABASE_URL gets
    sqlite_path: Path | None = None
    admin_url: str | None = None
    pg_dbname: str | None = None

    @classmethod
    def fresh(cls, ctx: Context, kind: str, name: str) -> Database:
        if not _NAME.match(name):
            raise ValueError(f"bad database name {name!r}")
        if kind == "sqlite":
            path = ctx.path("db", f"{name}.db")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return cls(kind, name, f"sqlite:///{path}", sqlite_path=path)
        if kind == "postgres":
            if not ctx.postgres_url:
                raise SystemExit("PostgreSQL needs HOURBRIDGE_BENCH_POSTGRES_URL "
                                 "(or HOURBRIDGE_TEST_POSTGRES_URL)")
            import psycopg
            from psycopg import sql

            dbname = f"hb_bench_{name}_{os.getpid()}"
            parts = urlsplit(ctx.postgres_url)
            url = urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))
            with psycopg.connect(ctx.postgres_url, autocommit=True) as conn:
                if not _SERVER:
                    _SERVER.update(_server_settings(conn))
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                             .format(sql.Identifier(dbname)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            return cls(kind, name, url, admin_url=ctx.postgres_url, pg_dbname=dbname)
        raise ValueError(f"unknown database kind {kind!r}")

    def connect(self) -> Any:
        """A plain DB-API connection (no SQLAlchemy), with the pragmas Hourbridge uses."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(str(self.sqlite_path), timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        import psycopg

        return psycopg.connect(self.url)

    def vacuum(self, *tables: str) -> None:
        """``VACUUM (ANALYZE)`` of ``tables`` (none: the whole database), what autovacuum does
        after a bulk write on a server that runs it (the default; the test server runs
        without it); PostgreSQL only. For scenarios whose untimed set-up ends in bulk writes
        (approving, billing, issuing N entries): their dead versions are the set-up's, and a
        round of 100 new entries reading past them would measure the set-up, not the round."""
        if self.kind != "postgres":
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"VACUUM (ANALYZE) {', '.join(tables)}".rstrip())

    def size_bytes(self) -> int | None:
        if self.kind == "sqlite":
            assert self.sqlite_path is not None
            return sum(Path(f"{self.sqlite_path}{s}").stat().st_size
                       for s in ("", "-wal") if Path(f"{self.sqlite_path}{s}").exists())
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else None

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.sqlite_path}{suffix}").unlink(missing_ok=True)
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(str(self.admin_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(str(self.pg_dbname))))


# --- the CLI -------------------------------------------------------------------------------
@dataclass
class CliRun:
    args: list[str]
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    max_rss_kib: int  # peak RSS of that process or the largest child it reaped (wait4), KiB
    tree: dict[str, int] = field(default_factory=dict)  # sampled process-tree peaks, if any
    cpu_seconds: float = 0.0  # user + system CPU of the command and its reaped children

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def max_rss_mb(self) -> float:
        return round(self.max_rss_kib * 1024 / 1e6, 1)


class CliError(RuntimeError):
    pass


def hb_env(db: Database) -> dict[str, str]:
    env = dict(os.environ)
    env["HOURBRIDGE_DATABASE_URL"] = db.url
    env.setdefault("HOURBRIDGE_LOG_LEVEL", "WARNING")
    env["COLUMNS"] = "200"
    return env


LAUNCHER = Path(__file__).resolve().parent / "_launch.py"


# exit codes of a command that ran: 0 all taken; 1 some rows became exceptions (intake),
# were skipped (approve) or not billed (bill), the report saying which; 2 refused
PARTIAL_OK = (0, 1)


def run_cli(ctx: Context, db: Database, *args: str | Path, check: bool = True,
            sample: float = 0.0, exit_ok: tuple[int, ...] = (0,)) -> CliRun:
    """Run ``hourbridge ARGS`` against ``db`` as a child process; wall time and peak RSS.

    The command is started by ``_launch.py`` in a small isolated interpreter, which times it
    and reaps it with ``os.wait4``: the resource usage is that process's own, and does not
    carry this (possibly large) benchmark process's high-water mark across ``execve``.
    With ``sample`` (seconds), the launcher also samples the summed RSS and PSS of the
    command's whole process tree (Hourbridge may validate in worker processes).
    """
    argv = [str(hourbridge_bin()), *map(str, args)]
    out_path = ctx.path("tmp", "cli.stdout")
    err_path = ctx.path("tmp", "cli.stderr")
    report_path = ctx.path("tmp", "cli.report.json")
    report_path.unlink(missing_ok=True)
    with out_path.open("wb") as out, err_path.open("wb") as errf:
        subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), str(report_path),
                        str(sample), *argv],
                       stdout=out, stderr=errf, env=hb_env(db), cwd=ctx.workdir, check=True)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    run = CliRun([str(a) for a in args], report["seconds"], report["returncode"],
                 out_path.read_text(encoding="utf-8", errors="replace"),
                 err_path.read_text(encoding="utf-8", errors="replace"),
                 report["max_rss_kib"],
                 {k: report[k] for k in ("tree_peak_rss_kib", "tree_peak_pss_kib",
                                         "tree_max_processes", "samples") if sample > 0},
                 float(report.get("cpu_seconds", 0.0)))
    if check and run.returncode not in exit_ok:
        raise CliError(f"hourbridge {' '.join(run.args)} exited {run.returncode}: "
                       f"{(run.stderr or run.stdout).strip()[-2000:]}")
    return run


def prepare(ctx: Context, db: Database) -> dict[str, float]:
    """Schema and master data (not timed as part of any measurement, but recorded)."""
    up = run_cli(ctx, db, "db", "upgrade")
    probe = run_cli(ctx, db, "db", "upgrade")  # nothing to do: the CLI's fixed start-up cost
    load = run_cli(ctx, db, "load", ctx.dataset.firm, "--json")
    return {"upgrade_seconds": round(up.seconds, 3),
            "cli_startup_seconds": round(probe.seconds, 3),
            "cli_startup_rss_mb": probe.max_rss_mb,
            "load_master_data_seconds": round(load.seconds, 3)}


# --- results -------------------------------------------------------------------------------
def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


def result(scenario: str, database: str, entries: int, started_at: str, seconds: float,
           metrics: dict[str, Any], limit: dict[str, Any], ratio: float | None,
           goal: str | None, met: bool | None, notes: list[str],
           ours: str = "", limit_text: str = "") -> dict[str, Any]:
    return {
        "scenario": scenario, "database": database, "entries": entries,
        "started_at": started_at, "seconds": round(seconds, 3), "metrics": metrics,
        "limit": limit, "ratio": None if ratio is None else round(ratio, 3), "goal": goal,
        "met": met, "notes": notes, "summary": {"ours": ours, "limit": limit_text},
        "host": {**host_info(), "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
                 "intake_workers": os.environ.get("HOURBRIDGE_INTAKE_WORKERS",
                                                  "default (cores - 1)"),
                 **({"postgres_server": dict(_SERVER)}
                    if database == "postgres" and _SERVER else {})},
    }


def failed(scenario: str, database: str, entries: int, started_at: str, exc: BaseException,
           goal: str | None = None) -> dict[str, Any]:
    return result(scenario, database, entries, started_at, 0.0, {}, {}, None, goal, False,
                  [f"failed: {type(exc).__name__}: {exc}"[:4000]], ours="failed")


def write_result(res: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{res['scenario']}-{res['database']}.json"
    text = json.dumps(res, indent=2, default=str) + "\n"
    path.write_text(text, encoding="utf-8")
    # and by size, so runs at 10k, 100k and 1M stay side by side (bench/table.py)
    if isinstance(res.get("entries"), int):
        by_size = RESULTS / "sizes" / str(res["entries"]) / path.name
        by_size.parent.mkdir(parents=True, exist_ok=True)
        by_size.write_text(text, encoding="utf-8")
    log(f"wrote {path.relative_to(REPO)}")
    return path


_HOST: dict[str, Any] = {}
_SERVER: dict[str, Any] = {}  # the PostgreSQL server's settings, read once per run

# how much of a database the server keeps in its buffers, whether it vacuums after bulk
# writes, how it commits: a reader comparing runs (or machines) needs them beside the figures
_SERVER_SETTINGS = ("server_version", "shared_buffers", "effective_cache_size", "work_mem",
                    "autovacuum", "synchronous_commit", "max_wal_size", "jit")


def _server_settings(conn: Any) -> dict[str, Any]:
    rows = conn.execute("SELECT name, current_setting(name) FROM pg_settings "
                        "WHERE name = ANY(%s)", (list(_SERVER_SETTINGS),)).fetchall()
    return dict(sorted(rows))


def _commit() -> str | None:
    """The checked-out commit (read-only ``git rev-parse``); the tree may have local changes."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, timeout=10, check=False)
    except OSError:
        return None
    return out.stdout.strip() or None


def host_info() -> dict[str, Any]:
    if not _HOST:
        import platform

        _HOST.update({"python": platform.python_version(), "machine": platform.machine(),
                      "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version,
                      "hourbridge_commit": _commit()})
    return _HOST


def timed_handle(hb: Any, cmd: Any) -> tuple[float, float, int, Any]:
    """``hb.handle(cmd)`` timed in process: wall and CPU seconds (this process: on PostgreSQL
    without the server's share), the statements it sent, and its result."""
    from sqlalchemy import event

    sent = [0]

    def count(*_: Any) -> None:
        sent[0] += 1

    event.listen(hb.engine, "before_cursor_execute", count)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = hb.handle(cmd)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        event.remove(hb.engine, "before_cursor_execute", count)
    return wall, cpu, sent[0], outcome
