"""Each side of the "peer" benchmark (``bench/peer_tryton.py``) on its own fresh PostgreSQL
database: Tryton 7.0 in its own venv (shared with the tests), driven by
``bench/tryton/drive.py`` as a subprocess; Hourbridge through its CLI (timings include
process start-up) and in process through ``bootstrap()`` and ``handle()``. A side that
cannot run raises ``PeerError``, saying why."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .peer_scenario import MONTH_END, SOURCE, Scenario, tryton_spec

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
REQUIREMENTS = BENCH / "requirements-tryton.txt"
DRIVER = BENCH / "tryton" / "drive.py"
TRYTON_DB = "hb_peer_tryton"
HOURBRIDGE_DB = "hb_peer_hourbridge"


class PeerError(RuntimeError):
    """The benchmark could not run (install, database or a side failed); the message says why."""


# --------------------------------------------------------------------------- the Tryton venv

def ensure_tryton_venv() -> Path:
    """The Tryton venv's python, shared with the tests (``tests/support/tryton.py``: built
    once per machine from ``bench/requirements-tryton.txt`` under
    ``~/.cache/hourbridge/tryton-<hash>``)."""
    if str(REPO / "tests") not in sys.path:
        sys.path.insert(0, str(REPO / "tests"))
    from support.tryton import TrytonUnavailable
    from support.tryton import ensure_tryton_venv as ensure

    try:
        return ensure(REQUIREMENTS)
    except TrytonUnavailable as exc:
        raise PeerError(str(exc)) from exc


def _run(cmd: list[str], what: str, env: dict[str, str] | None = None,
         log: Path | None = None, exit_ok: tuple[int, ...] = (0,)
         ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if log is not None:
        log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n"
                       f"{proc.stderr}", encoding="utf-8")
    if proc.returncode not in exit_ok:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise PeerError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc


# --------------------------------------------------------------------------- PostgreSQL

def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _recreate_database(postgres_url: str, name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise PeerError(f"cannot (re)create database {name} at {postgres_url}: {exc}") from exc


@contextmanager
def exclusive(postgres_url: str) -> Iterator[float]:
    """Hold a PostgreSQL advisory lock for the whole run: two runs on one server would drop
    each other's databases. Yields the seconds spent waiting for it."""
    import psycopg

    t0 = time.perf_counter()
    try:
        conn = psycopg.connect(postgres_url, autocommit=True)
    except psycopg.Error as exc:
        raise PeerError(f"cannot connect to {postgres_url}: {exc}") from exc
    try:
        conn.execute("SELECT pg_advisory_lock(hashtext('hourbridge-bench-peer'))")
        yield time.perf_counter() - t0
    finally:
        conn.close()  # ends the session, which releases the lock


# --------------------------------------------------------------------------- Tryton side

def run_tryton(sc: Scenario, postgres_url: str, workdir: Path, csv_path: Path) -> dict[str, Any]:
    python = ensure_tryton_venv()
    admin = python.parent / "trytond-admin"
    uri = _with_database(postgres_url, "")
    _recreate_database(postgres_url, TRYTON_DB)
    env = {**os.environ, "TRYTOND_DATABASE_URI": uri,
           "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    # trytond-admin reads the new database's admin password from TRYTONPASSFILE: a throwaway
    # one in a temporary file outside the work tree, removed right after.
    fd, passfile = tempfile.mkstemp(prefix="hb-peer-tryton-")
    t0 = time.perf_counter()
    try:
        os.write(fd, (secrets.token_hex(16) + "\n").encode())
        os.close(fd)
        _run([str(admin), "-d", TRYTON_DB, "-u", "project_invoice", "--activate-dependencies",
              "--email", "admin@example.com"],
             f"trytond-admin (activating modules in {TRYTON_DB})",
             env={**env, "TRYTONPASSFILE": passfile}, log=workdir / "trytond-admin.log")
    finally:
        os.unlink(passfile)
    activate_seconds = time.perf_counter() - t0
    spec_path = workdir / "tryton-spec.json"
    result_path = workdir / "tryton-result.json"
    spec_path.write_text(json.dumps(tryton_spec(sc, TRYTON_DB, uri, csv_path, result_path),
                                    indent=1) + "\n", encoding="utf-8")
    _run([str(python), str(DRIVER), str(spec_path)], "the Tryton driver (bench/tryton/drive.py)",
         env=env, log=workdir / "tryton-drive.log")
    result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
    result["activate_seconds"] = round(activate_seconds, 3)
    return result


# --------------------------------------------------------------------------- Hourbridge side

def _hourbridge_cli() -> list[str]:
    exe = Path(sys.executable).with_name("hourbridge")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("hourbridge")
    if found is None:
        raise PeerError("the hourbridge command is not installed (pip install -e .)")
    return [found]


def run_hourbridge_cli(postgres_url: str, bundle: Path, csv_path: Path) -> dict[str, Any]:
    url = _with_database(postgres_url, HOURBRIDGE_DB)
    _recreate_database(postgres_url, HOURBRIDGE_DB)
    env = {**os.environ, "HOURBRIDGE_DATABASE_URL": url}
    cli = _hourbridge_cli()

    def call(*args: str) -> tuple[float, Any]:
        t0 = time.perf_counter()
        # 1: the report lists rows not taken (checked below), not a failure of the command
        proc = _run([*cli, *args], f"hourbridge {' '.join(args)}", env=env, exit_ok=(0, 1))
        seconds = time.perf_counter() - t0
        out = proc.stdout.strip()
        return seconds, (json.loads(out) if out.startswith(("{", "[")) else out)

    call("db", "upgrade")  # commands other than this one refuse a database without a schema
    load_s, _ = call("load", str(bundle), "--json")
    startup_s, _ = call("invoices", "list", "--json")  # a command doing ~nothing: start-up
    ingest_s, ingest = call("ingest", "--source", SOURCE, str(csv_path), "--json")
    approve_s, approve = call("approve", "--from", "1900-01-01", "--json")
    bill_s, bill = call("bill", "--through", MONTH_END.isoformat(), "--json")
    _, invoices = call("invoices", "list", "--json")
    report = ingest[0] if isinstance(ingest, list) else ingest
    return {
        "load_seconds": load_s, "startup_seconds": startup_s, "intake_seconds": ingest_s,
        "approve_seconds": approve_s, "billing_seconds": bill_s, "ingest": report,
        "approved": approve.get("approved"), "entries_billed": bill.get("entries_billed"),
        "invoices": invoices,
    }


def _ingest_command(commands: Any, data: bytes, filename: str) -> Any:
    """``IngestTimeEntries`` for the API in this tree: a payload object (``TimeFile``) or the
    older (filename, media type, bytes) fields."""
    names = {f.name for f in dataclasses.fields(commands.IngestTimeEntries)}
    if "filename" in names:
        return commands.IngestTimeEntries(SOURCE, filename, "text/csv", data)
    from hourbridge.formats.timefile import TimeFile

    return commands.IngestTimeEntries(SOURCE, TimeFile.from_bytes(filename, "text/csv", data))


def run_hourbridge_in_process(postgres_url: str, bundle: Path,
                              csv_path: Path) -> dict[str, Any]:
    from hourbridge.bootstrap import bootstrap
    from hourbridge.config import Settings
    from hourbridge.domain import commands as c
    from hourbridge.formats import parse_bundle_files, to_domain

    _recreate_database(postgres_url, HOURBRIDGE_DB)
    hb = bootstrap(Settings(database_url=_with_database(postgres_url, HOURBRIDGE_DB)))
    try:
        docs, problems = parse_bundle_files([bundle])
        if problems:
            raise PeerError(f"bundle refused: {problems[:3]}")
        hb.handle(c.LoadMasterData(to_domain(docs)))
        data = csv_path.read_bytes()
        command = _ingest_command(c, data, csv_path.name)
        t0 = time.perf_counter()
        report = hb.handle(command)
        intake_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        approved = hb.handle(c.ApproveEntries(actor="bench", date_from=date(1900, 1, 1)))
        approve_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        bill = hb.handle(c.RunBilling(MONTH_END))
        bill_s = time.perf_counter() - t0
        invoices = hb.queries.invoices()  # the drafts, as billing made them (compared below)
        # issuing, against Tryton's posting: gapless numbers, WIP relief, journal to the outbox
        t0 = time.perf_counter()
        issued = hb.handle(c.IssueInvoices(all_drafts=True, actor="bench"))
        issue_s = time.perf_counter() - t0
    finally:
        hb.close()
    return {
        "intake_seconds": intake_s, "approve_seconds": approve_s, "billing_seconds": bill_s,
        "issue_seconds": issue_s, "issued": len(issued.issued), "ingest": report.as_dict(),
        "approved": approved.approved,
        "entries_billed": bill.entries_billed, "invoices": invoices,
    }
