"""A real Tryton 7.0 LTS for tests and the "peer" benchmark: its own virtualenv, a fresh
PostgreSQL database with modules activated, books set up, and trytond served over HTTP.

The virtualenv is built from ``bench/requirements-tryton.txt`` (never into the project's
.venv) under ``~/.cache/hourbridge/tryton-<sha256 of that file>`` (``HOURBRIDGE_TRYTON_CACHE``
names another folder), so every run on a machine after the first reuses it; building takes a
file lock, so parallel test workers and the bench build it once (comments in the file do not
count). A stamp written last marks a
complete one: a build killed half-way is built again.

The Tryton side runs in that venv's interpreter (``tryton_side/serve.py``: trytond on a free
port; ``tryton_side/books.py``: set-up, payments, reading back). Used by
``tests/integration/test_erp_tryton.py`` and ``bench/peer_tryton.py``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "bench" / "requirements-tryton.txt"
SIDE = Path(__file__).resolve().parent / "tryton_side"
CACHE_ENV = "HOURBRIDGE_TRYTON_CACHE"
QUIET = {"PYTHONWARNINGS": "ignore::DeprecationWarning"}


class TrytonUnavailable(RuntimeError):
    """Tryton could not be installed, activated or started; the message says why."""


def _digest(path: Path) -> str:
    """The requirements' digest: their lines without comments and blank lines, so that
    editing a comment keeps the venv and the template database."""
    lines = [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines()]
    return hashlib.sha256("\n".join(ln for ln in lines if ln).encode()).hexdigest()


def venv_for(requirements: Path = REQUIREMENTS) -> Path:
    base = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "hourbridge")
    return base / f"tryton-{_digest(requirements)[:16]}"


def ensure_tryton_venv(requirements: Path = REQUIREMENTS, venv: Path | None = None) -> Path:
    """The python of a venv with ``requirements`` installed: reused when its stamp says so,
    else (re)built under a lock. Returns ``<venv>/bin/python``."""
    venv = venv or venv_for(requirements)
    python, stamp = venv / "bin" / "python", venv / ".requirements-sha256"
    want = _digest(requirements)

    def ready() -> bool:
        return python.exists() and stamp.exists() and stamp.read_text().strip() == want

    if ready():
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if ready():  # another process built it while this one waited
            return python
        if venv.exists():  # half-built (killed during pip) or for other requirements
            shutil.rmtree(venv)
        run([sys.executable, "-m", "venv", str(venv)], "creating the Tryton virtualenv")
        run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", str(requirements)], f"pip install -r {requirements}", timeout=1800)
        stamp.write_text(want + "\n")
    return python


def run(cmd: list[str], what: str, env: dict[str, str] | None = None, log: Path | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TrytonUnavailable(f"{what}: {exc}") from exc
    if log is not None:
        log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{proc.stdout}\n--- stderr\n"
                       f"{proc.stderr}", encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise TrytonUnavailable(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass(frozen=True)
class TrytonDatabase:
    """A database trytond can open: its python, the server URI (no database in it), the
    database's name and the admin's password."""

    python: Path
    uri: str
    name: str
    password: str
    workdir: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, **QUIET, "TRYTOND_DATABASE_URI": self.uri}

    def books(self, action: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Run ``tryton_side/books.py ACTION`` on this database; its JSON answer."""
        spec_path = self.workdir / f"books-{action}-spec.json"
        out_path = self.workdir / f"books-{action}-out.json"
        spec_path.write_text(json.dumps({**spec, "database": self.name,
                                         "password": self.password}, default=str),
                             encoding="utf-8")
        run([str(self.python), str(SIDE / "books.py"), action, str(spec_path), str(out_path)],
            f"Tryton books {action}", env=self.env(), log=self.workdir / f"books-{action}.log")
        result: dict[str, Any] = json.loads(out_path.read_text(encoding="utf-8"))
        return result


def activate(python: Path, postgres_url: str, name: str, workdir: Path,
             modules: tuple[str, ...] = ("account_invoice",)) -> TrytonDatabase:
    """Activate ``modules`` (and what they need) in the existing, empty database ``name``
    with ``trytond-admin``; the admin's password is drawn here and given back."""
    uri = with_database(postgres_url, "")
    password = secrets.token_hex(16)
    fd, passfile = tempfile.mkstemp(prefix="hb-tryton-pass-")
    try:
        os.write(fd, (password + "\n").encode())
        os.close(fd)
        run([str(python.parent / "trytond-admin"), "-d", name, "-u", *modules,
             "--activate-dependencies", "--email", "admin@example.com"],
            f"trytond-admin (activating {', '.join(modules)} in {name})",
            env={**os.environ, **QUIET, "TRYTOND_DATABASE_URI": uri,
                 "TRYTONPASSFILE": passfile}, log=workdir / "trytond-admin.log", timeout=900)
    finally:
        os.unlink(passfile)
    return TrytonDatabase(python, uri, name, password, workdir)


def fresh_database(python: Path, postgres_url: str, name: str, workdir: Path,
                   modules: tuple[str, ...] = ("account_invoice",),
                   requirements: Path = REQUIREMENTS) -> TrytonDatabase:
    """A new database ``name`` with ``modules`` active, cloned (``CREATE DATABASE ...
    TEMPLATE``, about a second) from a template on the same server that the first run
    activates (minutes) and keeps: ``hb_tryton_tpl_<digest of the requirements and
    modules>``, so a new Tryton release or module list makes a new one. A PostgreSQL
    advisory lock keeps parallel workers from building it twice; the template is renamed
    into place only when complete. The admin's password is set anew by ``books setup``."""
    import psycopg

    digest = hashlib.sha256((_digest(requirements) + ",".join(modules)).encode())
    template = f"hb_tryton_tpl_{digest.hexdigest()[:16]}"
    try:
        conn = psycopg.connect(postgres_url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise TrytonUnavailable(f"cannot reach PostgreSQL at {postgres_url}: {exc}") from exc
    try:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (template,))
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (template,)).fetchone() is None:
            building = f"{template}_build"
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{building}"')
            activate(python, postgres_url, building, workdir, modules)
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    except psycopg.Error as exc:
        raise TrytonUnavailable(f"cannot make the Tryton database {name}: {exc}") from exc
    finally:
        conn.close()  # ends the session, which releases the lock
    return TrytonDatabase(python, with_database(postgres_url, ""), name,
                          secrets.token_hex(16), workdir)


@contextmanager
def serve(db: TrytonDatabase, startup_timeout: float = 120) -> Iterator[str]:
    """trytond serving ``db`` on a free loopback port; yields its base URL. Stopped (this
    process only) on the way out."""
    log = (db.workdir / "trytond-serve.log").open("w", encoding="utf-8")
    proc = subprocess.Popen([str(db.python), str(SIDE / "serve.py"), db.name],
                            stdout=subprocess.PIPE, stderr=log, text=True, env=db.env())
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        try:
            first = lines.get(timeout=startup_timeout)
        except queue.Empty:
            first = ""
        if not first.startswith("PORT "):
            proc.kill()
            proc.wait(10)
            log.flush()
            tail = (db.workdir / "trytond-serve.log").read_text(encoding="utf-8")[-2000:]
            raise TrytonUnavailable(f"trytond did not start (exit {proc.returncode}): {tail}")
        yield f"http://127.0.0.1:{int(first.split()[1])}"
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
